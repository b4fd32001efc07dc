import { createCoordClient, signInWithDevice, systemClock, type Clock } from '@coord/runner-core';
import type { AppState, DesktopPush } from '../shared/desktop-api.js';
import { createAttention, type DesktopNotification } from './attention.js';
import type { CredentialStore, Credentials } from './credentials.js';
import { createIpcRouter, trustedSender, type IpcSender, type ParsedAppCall } from './ipc-router.js';
import { createRunnerLink, type ControlClient } from './runner-link.js';
import { createRunnerSupervisor, type RunnerChild } from './runner-supervisor.js';
import { trayState, type TrayState } from './tray-state.js';

export interface DesktopMainOptions {
  stateDir: string;
  version: string;
  /** The renderer's page: only calls from it are answered. */
  pageUrl: string;
  windowIds(): readonly number[];
  credentials: CredentialStore;
  /** Starts `coord-runner start` in a utility process with these credentials. */
  spawnRunner(credentials: Credentials): RunnerChild;
  /** The runner process's last lines of output (why it exited). */
  runnerOutput?(): string;
  push(push: DesktopPush, windowId: number | null): void;
  notify(notification: DesktopNotification): void;
  onTray(state: TrayState): void;
  openExternal(url: string): void;
  loginItem: { get(): boolean; set(enabled: boolean): void };
  /** Shown to the person approving a device sign-in. */
  clientName: string;
  clock?: Clock;
  fetch?: typeof fetch;
  control?: ControlClient;
  log?(line: string): void;
}

/**
 * The main process without Electron: the runner's supervisor, the link to its control endpoint,
 * sign-in, notifications and the tray, and the router that answers the renderer. `main.ts` gives
 * it Electron's pieces; the browser harness gives it the same calls over HTTP.
 */
export function createDesktopMain(options: DesktopMainOptions) {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => {});
  let signIn: { abort: AbortController; pending: AppState['account']['pending'] } | null = null;
  let problem: string | null = null;
  let saved = options.credentials.load();

  const appState = (): AppState => ({
    runner: supervisor.state(),
    account: {
      server: saved?.server ?? null,
      signedIn: saved !== null,
      pending: signIn?.pending ?? null,
      problem,
      keychain: options.credentials.available(),
    },
    preferences: { startAtLogin: options.loginItem.get() },
    version: options.version,
  });
  const announce = () => {
    options.push({ kind: 'app', state: appState() }, null);
    options.onTray(trayState(supervisor.state(), appState().account, attention.counts()));
  };

  const attention = createAttention({
    notify: options.notify,
    onCounts: () => options.onTray(trayState(supervisor.state(), appState().account, attention.counts())),
  });
  const link = createRunnerLink({
    stateDir: options.stateDir,
    push: options.push,
    onEvent: (event) => attention.onEvent(event),
    ...(options.control ? { client: options.control } : {}),
  });

  const supervisor = createRunnerSupervisor({
    clock,
    spawn: () => {
      if (!saved) throw new Error('Not signed in.');
      attention.reset();
      return options.spawnRunner(saved);
    },
    probe: async () => {
      try {
        await link.connect();
        return true;
      } catch {
        return false;
      }
    },
    requestStop: async () => {
      await link.relay({ method: 'stop', mode: 'graceful' });
    },
    ...(options.runnerOutput ? { lastOutput: options.runnerOutput } : {}),
    onChange: (state) => {
      log(`runner ${state.status}${state.message ? `: ${state.message}` : ''}`);
      announce();
    },
  });

  async function startSignIn(server: string): Promise<void> {
    signIn?.abort.abort();
    const abort = new AbortController();
    const attempt = { abort, pending: null as AppState['account']['pending'] };
    signIn = attempt;
    problem = null;
    try {
      const token = await signInWithDevice({
        baseUrl: server,
        clientName: options.clientName,
        signal: abort.signal,
        clock,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        onCode: (authorization) => {
          attempt.pending = {
            userCode: authorization.userCode,
            verificationUri: authorization.verificationUriComplete,
            expiresAt: clock.now() + authorization.expiresInS * 1000,
          };
          announce();
        },
      });
      if (signIn !== attempt) return;
      saved = { server, token: token.token };
      options.credentials.save(saved);
      signIn = null;
      // A runner the server signed out holds the old token in its environment: start it anew.
      if (supervisor.state().status !== 'stopped' && supervisor.state().status !== 'crashed') {
        await supervisor.stop();
      }
      supervisor.start();
    } catch (error) {
      if (signIn !== attempt) return;
      signIn = null;
      if (!abort.signal.aborted) problem = (error as Error).message;
    }
    announce();
  }

  async function app(call: ParsedAppCall, windowId: number): Promise<unknown> {
    switch (call.method) {
      case 'app.state':
        return appState();
      case 'runner.start':
        if (!saved) throw new Error('Sign in first: the runner needs a Coord account.');
        supervisor.start();
        return appState();
      case 'runner.restart':
        if (!saved) throw new Error('Sign in first: the runner needs a Coord account.');
        // The agents' keys are read at start: a new one needs a new runner process.
        await supervisor.stop();
        supervisor.start();
        return appState();
      case 'account.signIn':
        void startSignIn(call.server);
        // The answer comes back once the code is there, so the window can show it at once.
        await waitFor(() => signIn === null || signIn.pending !== null, clock, 15_000);
        return appState();
      case 'account.cancelSignIn':
        signIn?.abort.abort();
        signIn = null;
        announce();
        return appState();
      case 'account.signOut': {
        const previous = saved;
        await supervisor.stop();
        saved = null;
        options.credentials.clear();
        if (previous) {
          // Best effort: the token stops working on the server too.
          await createCoordClient({ baseUrl: previous.server, token: previous.token, retries: 1 })
            .signOut()
            .catch((error: unknown) => log(`revoking the token failed: ${(error as Error).message}`));
        }
        announce();
        return appState();
      }
      case 'preferences.set':
        if (call.startAtLogin !== undefined) options.loginItem.set(call.startAtLogin);
        announce();
        return appState();
      case 'log.follow':
        return { subscriptionId: await link.follow(call.subscriptionId, call.job, call.afterSeq, windowId) };
      case 'log.unfollow':
        link.unfollow(call.subscriptionId);
        return {};
      case 'open.external':
        options.openExternal(call.url);
        return {};
    }
  }

  const handle = createIpcRouter({
    isTrusted: trustedSender(options.pageUrl, options.windowIds),
    handlers: { relay: (call) => link.relay(call), app },
    onRefused: (why) => log(`refused ${why}`),
  });

  return {
    handle: (event: IpcSender, raw: unknown) => handle(event, raw),
    /** At launch: a saved sign-in starts the runner at once. */
    launch(): void {
      if (saved) supervisor.start();
      announce();
    },
    navigate(jobId: string): void {
      options.push({ kind: 'navigate', jobId }, null);
    },
    forgetWindow: (windowId: number) => link.forgetWindow(windowId),
    state: appState,
    async quit(): Promise<void> {
      signIn?.abort.abort();
      await supervisor.stop();
      link.close();
    },
  };
}

export type DesktopMain = ReturnType<typeof createDesktopMain>;

function waitFor(done: () => boolean, clock: Clock, maxMs: number): Promise<void> {
  const until = clock.now() + maxMs;
  return new Promise((resolve) => {
    const check = () => {
      if (done() || clock.now() >= until) resolve();
      else clock.setTimeout(check, 50);
    };
    check();
  });
}
