import {
  deviceAuthorizationSchema,
  deviceTokenResponseSchema,
  errorBodySchema,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  routes,
  type DeviceAuthorization,
  type DeviceTokenResponse,
} from '@coord/runner-protocol';
import { CoordError, registerSecret } from '../errors.js';
import { systemClock, type Clock } from '../runner/ports.js';

export interface DeviceSignInOptions {
  baseUrl: string;
  /** Shown to the person approving: which machine and program asks. */
  clientName: string;
  /** Called once with the code to show and the URL to open. */
  onCode(authorization: DeviceAuthorization): void;
  fetch?: typeof fetch;
  clock?: Clock;
  signal?: AbortSignal;
}

const failed = (message: string, cause?: unknown) =>
  new CoordError('auth.sign_in_failed', message, { retryable: false, ...(cause ? { cause } : {}) });

/**
 * Signs a runner in without a token (RFC 8628 device flow): asks the server for a code, hands it
 * to `onCode`, and polls at the server's interval (5 s longer after each `slow_down`) until a
 * person approves it in the web app. Resolves with the new token (registered as a secret at
 * once); rejects with `auth.sign_in_failed` saying why (denied, expired, aborted). A network
 * error while polling is waited out: the code stays valid until it expires.
 */
export async function signInWithDevice(options: DeviceSignInOptions): Promise<DeviceTokenResponse> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  const post = (path: string, body: unknown) =>
    doFetch(base + path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
      },
      body: JSON.stringify(body),
      ...(options.signal ? { signal: options.signal } : {}),
    });

  let authorization: DeviceAuthorization;
  try {
    const res = await post(routes.deviceAuthorize(), { clientName: options.clientName });
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const code = errorBodySchema.safeParse(json).data?.error.code;
      throw failed(
        res.status === 404 || code === 'request.not_found'
          ? `${base} does not offer device sign-in: sign in with \`coord-runner login --token-file <file>\` instead.`
          : `${base} refused to start a sign-in (HTTP ${res.status}${code ? `, ${code}` : ''}).`,
      );
    }
    authorization = deviceAuthorizationSchema.parse(json);
  } catch (error) {
    if (error instanceof CoordError) throw error;
    throw failed(`Could not reach ${base} to start signing in: ${(error as Error).message}`, error);
  }
  registerSecret(authorization.deviceCode);
  options.onCode(authorization);

  const deadline = clock.now() + authorization.expiresInS * 1000;
  let intervalMs = authorization.intervalS * 1000;
  for (;;) {
    await sleep(clock, intervalMs, options.signal);
    if (clock.now() > deadline)
      throw failed('The sign-in code expired before anyone approved it: run `coord-runner login` again.');
    let res: Response;
    try {
      res = await post(routes.deviceToken(), { deviceCode: authorization.deviceCode });
    } catch (error) {
      if (options.signal?.aborted) throw failed('Sign-in cancelled.', error);
      continue; // the server or network is away for a moment: the code lives on
    }
    const json: unknown = await res.json().catch(() => null);
    if (res.ok) {
      const granted = deviceTokenResponseSchema.parse(json);
      registerSecret(granted.token);
      return granted;
    }
    const code = errorBodySchema.safeParse(json).data?.error.code;
    if (code === 'device.authorization_pending') continue;
    if (code === 'device.slow_down') {
      intervalMs += 5_000;
      continue;
    }
    if (code === 'device.denied') throw failed('The sign-in was denied in the web app.');
    if (code === 'device.expired')
      throw failed('The sign-in code expired before anyone approved it: run `coord-runner login` again.');
    if (res.status >= 500) continue;
    throw failed(
      `The server refused the sign-in (HTTP ${res.status}${code ? `, ${code}` : ''}): run \`coord-runner login\` again.`,
    );
  }
}

function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(failed('Sign-in cancelled.'));
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(failed('Sign-in cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
