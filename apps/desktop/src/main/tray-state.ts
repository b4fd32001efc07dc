import type { Account, RunnerProcess } from '../shared/desktop-api.js';
import type { AttentionCounts } from './attention.js';

export type TrayIcon = 'idle' | 'running' | 'waiting' | 'offline';

export interface TrayState {
  icon: TrayIcon;
  /** One line for the tooltip and the menu's first item. */
  label: string;
  /** The dock / taskbar badge: what waits for the person (0 hides it). */
  badge: number;
}

/** What the tray shows, from the runner process, the account and what is running or waiting. */
export function trayState(runner: RunnerProcess, account: Account, counts: AttentionCounts): TrayState {
  const badge = counts.waiting;
  if (!account.signedIn) return { icon: 'offline', label: 'Signed out: open Coord Runner to sign in', badge };
  if (runner.status === 'crashed')
    return { icon: 'offline', label: 'The runner stopped: open Coord Runner', badge };
  if (runner.status !== 'running') {
    const label = { stopped: 'Stopped', starting: 'Starting…', restarting: 'Restarting…' }[runner.status];
    return { icon: 'offline', label, badge };
  }
  if (counts.waiting > 0) {
    return { icon: 'waiting', label: `${counts.waiting} waiting for you`, badge };
  }
  if (counts.connection === 'offline')
    return { icon: 'offline', label: 'Offline: cannot reach the server', badge };
  if (counts.active > 0) return { icon: 'running', label: `Running ${counts.active}`, badge };
  return { icon: 'idle', label: 'Idle: waiting for jobs', badge };
}
