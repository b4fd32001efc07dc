import { randomInt } from 'node:crypto';
import type { DeviceTokenResponse } from '@coord/runner-protocol';
import { ApiError } from '../errors.js';
import { hashToken, newToken } from '../util/ids.js';
import { accountById } from './accounts.js';
import type { Store } from './store.js';

/** Letters a person cannot mistake for each other or for digits (RFC 8628 section 6.1). */
const USER_CODE_LETTERS = 'BCDFGHJKLMNPQRSTVWXZ';

function newUserCode(): string {
  const letters = Array.from({ length: 8 }, () => USER_CODE_LETTERS[randomInt(USER_CODE_LETTERS.length)]);
  return `${letters.slice(0, 4).join('')}-${letters.slice(4).join('')}`;
}

/** What a person types, tidied: case, spaces and a missing dash do not matter. */
export function normalizeUserCode(input: string): string | null {
  const letters = input.toUpperCase().replace(/[^A-Z]/g, '');
  if (letters.length !== 8 || [...letters].some((l) => !USER_CODE_LETTERS.includes(l))) return null;
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}

interface DeviceRow {
  device_hash: string;
  user_code: string;
  client_name: string;
  status: 'pending' | 'approved' | 'denied' | 'used';
  account_id: string | null;
  expires_at: number;
  last_poll_at: number | null;
}

export interface PendingDevice {
  userCode: string;
  clientName: string;
  expiresAt: number;
}

/** A new pending sign-in: the device code (the runner's secret) and the code a person types. */
export function startDeviceSignIn(
  store: Store,
  clientName: string,
  now = Date.now(),
): { deviceCode: string; userCode: string; expiresAt: number } {
  const deviceCode = newToken('coorddev');
  const expiresAt = now + store.timings.deviceCodeTtlMs;
  return store.tx(() => {
    // Old requests go when new ones come: the table never grows past what is live.
    store.sql('DELETE FROM device_codes WHERE expires_at < ?').run(now - 60 * 60_000);
    for (;;) {
      const userCode = newUserCode();
      const taken = store.sql('SELECT 1 FROM device_codes WHERE user_code = ?').get(userCode);
      if (taken) continue;
      store
        .sql(
          `INSERT INTO device_codes (device_hash, user_code, client_name, status, created_at, expires_at)
           VALUES (?, ?, ?, 'pending', ?, ?)`,
        )
        .run(hashToken(deviceCode), userCode, clientName, now, expiresAt);
      return { deviceCode, userCode, expiresAt };
    }
  });
}

/** The pending request a person is about to approve, or null (unknown, used or expired). */
export function pendingDevice(store: Store, userCode: string, now = Date.now()): PendingDevice | null {
  const row = store.sql('SELECT * FROM device_codes WHERE user_code = ?').get(userCode) as
    DeviceRow | undefined;
  if (!row || row.status !== 'pending' || row.expires_at <= now) return null;
  return { userCode: row.user_code, clientName: row.client_name, expiresAt: row.expires_at };
}

/** A person's answer, signed in as `accountId`: the runner's next poll gets a token, or `denied`. */
export function decideDevice(
  store: Store,
  accountId: string,
  userCode: string,
  approve: boolean,
  now = Date.now(),
): void {
  const changed = store
    .sql(
      "UPDATE device_codes SET status = ?, account_id = ? WHERE user_code = ? AND status = 'pending' AND expires_at > ?",
    )
    .run(approve ? 'approved' : 'denied', accountId, userCode, now).changes;
  if (changed === 0)
    throw new ApiError(
      400,
      'device.invalid_code',
      'That code is unknown, already used or expired: start the sign-in again.',
    );
}

/**
 * One poll of the runner that asked. Approved: a new token of the approving account, minted now
 * and returned once. Otherwise a 400 saying why, as RFC 8628 does (pending, slow down, denied,
 * expired); polling faster than the interval is answered `slow_down`.
 */
export function pollDevice(store: Store, deviceCode: string, now = Date.now()): DeviceTokenResponse {
  // The outcome is decided in the transaction and thrown after it: a throw inside would roll back
  // the poll time that `slow_down` is judged by.
  const outcome = store.tx((): DeviceTokenResponse | ApiError => {
    const row = store.sql('SELECT * FROM device_codes WHERE device_hash = ?').get(hashToken(deviceCode)) as
      DeviceRow | undefined;
    if (!row || row.status === 'used')
      return new ApiError(
        400,
        'device.invalid_code',
        'Unknown or already used device code: start the sign-in again.',
      );
    if (row.expires_at <= now)
      return new ApiError(
        400,
        'device.expired',
        'The sign-in code expired before anyone approved it: start again.',
      );
    if (row.status === 'denied')
      return new ApiError(400, 'device.denied', 'The sign-in was denied in the web app.');
    if (row.status === 'pending') {
      const early = row.last_poll_at !== null && now - row.last_poll_at < store.timings.devicePollMs - 250;
      store.sql('UPDATE device_codes SET last_poll_at = ? WHERE device_hash = ?').run(now, row.device_hash);
      return early
        ? new ApiError(400, 'device.slow_down', 'Polling too often: wait 5 s longer between polls.')
        : new ApiError(400, 'device.authorization_pending', 'Waiting for someone to approve the code.');
    }
    const account = accountById(store, row.account_id!)!;
    const token = newToken('coord');
    store
      .sql("INSERT INTO tokens (hash, account_id, created_at, source) VALUES (?, ?, ?, 'device')")
      .run(hashToken(token), account.id, now);
    store.sql("UPDATE device_codes SET status = 'used' WHERE device_hash = ?").run(row.device_hash);
    return { token, account };
  });
  if (outcome instanceof ApiError) throw outcome;
  return outcome;
}

/** Forgets `token` if a device sign-in minted it (an account's first token stays: files hold it). */
export function revokeDeviceToken(store: Store, token: string): boolean {
  return (
    store.sql("DELETE FROM tokens WHERE hash = ? AND source = 'device'").run(hashToken(token)).changes > 0
  );
}
