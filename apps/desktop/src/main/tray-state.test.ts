import { describe, expect, it } from 'vitest';
import type { Account, RunnerProcess } from '../shared/desktop-api.js';
import { trayState } from './tray-state.js';

const runner = (status: RunnerProcess['status']): RunnerProcess => ({
  status,
  message: null,
  restarts: 0,
  pid: null,
  since: 0,
});
const account = (signedIn: boolean): Account => ({
  server: 'https://coord.example',
  signedIn,
  pending: null,
  problem: null,
  keychain: true,
});
const counts = (
  active: number,
  waiting: number,
  connection: 'idle' | 'offline' | 'signed_out' | null = 'idle',
) => ({
  active,
  waiting,
  connection,
});

describe('the tray', () => {
  it.each([
    ['signed out', runner('stopped'), account(false), counts(0, 0), 'offline', /Signed out/],
    ['stopped', runner('stopped'), account(true), counts(0, 0), 'offline', /Stopped/],
    ['crashed', runner('crashed'), account(true), counts(0, 0), 'offline', /runner stopped/],
    ['restarting', runner('restarting'), account(true), counts(0, 0), 'offline', /Restarting/],
    ['idle', runner('running'), account(true), counts(0, 0), 'idle', /Idle/],
    ['running two', runner('running'), account(true), counts(2, 0), 'running', /Running 2/],
    [
      'waiting for the person',
      runner('running'),
      account(true),
      counts(2, 1),
      'waiting',
      /1 waiting for you/,
    ],
    [
      'offline server',
      runner('running'),
      account(true),
      counts(1, 0, 'offline'),
      'offline',
      /cannot reach the server/,
    ],
  ] as const)('%s', (_name, r, a, c, icon, label) => {
    const state = trayState(r, a, c);
    expect(state.icon).toBe(icon);
    expect(state.label).toMatch(label);
    expect(state.badge).toBe(c.waiting);
  });
});
