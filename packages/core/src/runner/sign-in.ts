import type { Clock } from './ports.js';
import { isSignedOut } from './refusal.js';

/** Where the user's sign-in lives (a credentials file, a token file), read again after a refusal. */
export interface Credentials {
  /** The token signed in now, or null when there is none (signed out). */
  read(): string | null | Promise<string | null>;
  /** What a person does to sign in again, for the message: "run `coord-runner login`". */
  readonly signInHint?: string;
}

export interface SignInOptions {
  clock: Clock;
  /** While signed out, the credentials are read again this often. */
  pollMs: number;
  /** Absent: the runner cannot pick up a new token and stays signed out until restarted. */
  credentials: Credentials | undefined;
  /** Sends this token from now on; false when it is the one in use (so nothing changed). */
  useToken(token: string): boolean;
  /** Asks the server whether the token in use is accepted (rejects with a 401 if not). */
  probe(): Promise<unknown>;
  onSignedOut(message: string): void;
  onSignedIn(message: string): void;
  reportError(error: unknown): void;
}

/** One connection's sign-in: signed in until the server refuses its token, then until a new one works. */
export interface SignIn {
  readonly signedOut: boolean;
  /** Looks at a failed call: a refused token signs the connection out. True if it was one. */
  observe(error: unknown): boolean;
  /** Resolves once signed in (at once when signed in now), or once stopped. */
  whenSignedIn(): Promise<void>;
  /** Reads the credentials now (a person just signed in); true once signed in. */
  check(): Promise<boolean>;
  stop(): void;
}

const DEFAULT_HINT = 'run `coord-runner login` to sign in again';

/**
 * Expired or revoked tokens (issue 7): a 401 signs the connection out, saying what to do; the
 * credentials are then read every `pollMs` until they hold a token the server accepts. The token
 * itself is never in a message.
 */
export function createSignIn(options: SignInOptions): SignIn {
  const { clock } = options;
  let signedOut = false;
  let stopped = false;
  let timer: unknown = null;
  let checking: Promise<boolean> | null = null;
  let waiters: Array<() => void> = [];
  const hint = options.credentials?.signInHint ?? DEFAULT_HINT;

  const schedule = () => {
    if (stopped || !signedOut || !options.credentials || timer !== null) return;
    timer = clock.setTimeout(() => {
      timer = null;
      void check().then(() => schedule());
    }, options.pollMs);
  };

  function signOut(): void {
    if (signedOut) return;
    signedOut = true;
    options.onSignedOut(
      `Signed out: the Coord server refuses this runner's token (expired or revoked). To go on, ${hint}. ` +
        'No new job is taken meanwhile; running jobs go on and their events are kept until then.',
    );
    schedule();
  }

  async function tryCredentials(): Promise<boolean> {
    const token = await options.credentials?.read();
    // The same token the server refused: nothing new to try until the credentials change.
    if (!token || !options.useToken(token)) return false;
    try {
      await options.probe();
    } catch (error) {
      if (isSignedOut(error)) return false;
      // The server cannot say now (an outage): go on with the new token; a refusal signs out again.
      options.reportError(error);
    }
    return true;
  }

  function check(): Promise<boolean> {
    if (!signedOut) return Promise.resolve(true);
    checking ??= tryCredentials()
      .catch((error: unknown) => {
        options.reportError(error);
        return false;
      })
      .then((signedIn) => {
        checking = null;
        if (signedIn && signedOut && !stopped) {
          signedOut = false;
          clock.clearTimeout(timer);
          timer = null;
          const woken = waiters;
          waiters = [];
          options.onSignedIn('Signed in again: delivering what was kept and taking jobs.');
          for (const wake of woken) wake();
        }
        return !signedOut;
      });
    return checking;
  }

  return {
    get signedOut() {
      return signedOut;
    },
    observe(error) {
      if (!isSignedOut(error)) return false;
      signOut();
      return true;
    },
    whenSignedIn: () =>
      signedOut ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve(),
    check,
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
      timer = null;
      // Waits end with the runner: each waiter looks at its own state again.
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    },
  };
}
