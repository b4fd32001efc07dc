import type { StatusSnapshot } from '@coord/runner-core/control-api';
import { useEffect, useRef, useState } from 'react';
import type { AppState, DesktopApi, DesktopPush } from '../shared/desktop-api.js';

declare global {
  interface Window {
    /** The preload's API: the only way out of the renderer. */
    coord: DesktopApi;
  }
}

export const coord = (): DesktopApi => window.coord;

/** Calls `listener` for every push from the main process while the component is mounted. */
export function usePushes(listener: (push: DesktopPush) => void): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => coord().onPush((push) => latest.current(push)), []);
}

/** The app's state (runner process, account, preferences), as main announces it. */
export function useAppState(): AppState | null {
  const [state, setState] = useState<AppState | null>(null);
  useEffect(() => {
    void coord()
      .call({ method: 'app.state' })
      .then((s) => setState((current) => current ?? s));
  }, []);
  usePushes((push) => {
    if (push.kind === 'app') setState(push.state);
  });
  return state;
}

/**
 * The runner's status snapshot: read when the runner starts, on every runner event that changes
 * what it shows (throttled), and once a second for elapsed times. Null while no runner answers.
 */
export function useRunnerStatus(running: boolean): { status: StatusSnapshot | null; error: string | null } {
  const [status, setStatus] = useState<StatusSnapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pending = useRef(false);
  const refresh = useRef(() => {});
  refresh.current = () => {
    if (pending.current || !running) return;
    pending.current = true;
    coord()
      .call({ method: 'status' })
      .then(
        (s) => {
          setStatus(s);
          setError(null);
        },
        (e: Error) => setError(e.message),
      )
      .finally(() => (pending.current = false));
  };
  useEffect(() => {
    if (!running) {
      setStatus(null);
      return undefined;
    }
    refresh.current();
    const timer = setInterval(() => refresh.current(), 1000);
    return () => clearInterval(timer);
  }, [running]);
  usePushes((push) => {
    if (push.kind === 'event' && push.event.type !== 'job.agent') refresh.current();
  });
  return { status, error };
}
