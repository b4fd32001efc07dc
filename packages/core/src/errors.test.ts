import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CoordError, isCoordError, redactSecrets, registerSecret, toErrorPayload } from './errors.js';
import { containsRegisteredSecret, redactJson } from './redact.js';

describe('redactSecrets', () => {
  it('hides a registered secret wherever it appears', () => {
    const secret = `s3cret-${randomUUID()}`;
    registerSecret(secret);
    const out = redactSecrets(`token=${secret}; again:${secret}!`);
    expect(out).not.toContain(secret);
    expect(out).toBe('token=***; again:***!');
  });

  it('ignores secrets too short to be safely replaced', () => {
    registerSecret('abc');
    registerSecret('');
    registerSecret(null);
    registerSecret(undefined);
    expect(redactSecrets('abc def')).toBe('abc def');
  });

  it.each([
    ['Authorization: Bearer abc.def-123', 'abc.def-123'],
    ['authorization: token zyx987654', 'zyx987654'],
    ['Authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
    ['curl -H "bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"', 'eyJhbGciOiJIUzI1NiJ9.e30.sig'],
  ])('hides the credential in %j', (text, credential) => {
    const out = redactSecrets(text);
    expect(out).not.toContain(credential);
    expect(out).toContain('***');
  });

  it.each([
    [
      'https://x-access-token:ghs_abcdefghijklmnop@github.com/o/r.git',
      ['ghs_abcdefghijklmnop', 'x-access-token'],
    ],
    ['fatal: unable to access http://user:hunter22@127.0.0.1:8080/o/r.git/', ['hunter22', 'user:']],
    ['clone https://oauth2token@gitlab.example/o/r', ['oauth2token']],
  ])('hides URL credentials in %j', (text, hidden) => {
    const out = redactSecrets(text);
    for (const h of hidden) expect(out).not.toContain(h);
    expect(out).toMatch(/https?:\/\/\*\*\*@/);
  });

  it.each([
    'ghp_0123456789abcdefABCDEF0123456789abcd',
    'gho_0123456789abcdef0123',
    'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
    'sk-ant-api03-abcdefghijklmnopqrstuvwxyz-0123456789',
    'sk-proj-abcdefghijklmnop',
  ])('hides a token shaped like %s', (token) => {
    const out = redactSecrets(`the key is ${token} ok`);
    expect(out).not.toContain(token);
    expect(out).not.toContain(token.slice(-8));
    expect(out).toContain('the key is ');
    expect(out).toContain(' ok');
  });

  it('leaves ordinary text alone', () => {
    const text = 'Cannot reach https://coord.example/v1/me: ECONNREFUSED (task-12, sk-short)';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('CoordError and toErrorPayload', () => {
  it('redacts its message, String() and stack', () => {
    const secret = `tok-${randomUUID()}`;
    registerSecret(secret);
    const error = new CoordError('api.http_error', `server said ${secret} is bad`);
    expect(error.message).toBe('server said *** is bad');
    expect(String(error)).not.toContain(secret);
    expect(error.stack).not.toContain(secret);
    expect(JSON.stringify(toErrorPayload(error))).not.toContain(secret);
  });

  it('turns a CoordError into a plain payload with its code, retryable and details', () => {
    const error = new CoordError('git.push_failed', 'push failed', {
      retryable: true,
      details: { remote: 'origin' },
    });
    expect(isCoordError(error)).toBe(true);
    const payload = toErrorPayload(error);
    expect(payload).toEqual({
      code: 'git.push_failed',
      message: 'push failed',
      retryable: true,
      details: { remote: 'origin' },
    });
    expect(JSON.parse(JSON.stringify(payload))).toEqual(payload);
  });

  it('redacts secrets in the details of a payload', () => {
    const secret = `tok-${randomUUID()}`;
    registerSecret(secret);
    const error = new CoordError('api.http_error', 'conflict', {
      details: { echoed: secret, list: [`Bearer ${secret}`], nested: { note: `seen ${secret}` } },
    });
    expect(JSON.stringify(toErrorPayload(error))).not.toContain(secret);
    expect(JSON.stringify(error.details)).not.toContain(secret);
    expect(toErrorPayload(error).details).toEqual({
      echoed: '***',
      list: ['Bearer ***'],
      nested: { note: 'seen ***' },
    });
  });

  it('recognises the brand across copies (errors that crossed a module boundary)', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('coord.runner.error')]: true,
      code: 'lease.lost',
    });
    expect(isCoordError(foreign)).toBe(true);
    expect(isCoordError(new Error('x'))).toBe(false);
    expect(isCoordError(null)).toBe(false);
    expect(isCoordError('lease.lost')).toBe(false);
  });

  it('turns anything else into runner.internal, redacted', () => {
    const secret = `tok-${randomUUID()}`;
    registerSecret(secret);
    expect(toErrorPayload(new TypeError(`boom ${secret}`))).toEqual({
      code: 'runner.internal',
      message: 'boom ***',
      retryable: false,
    });
    expect(toErrorPayload('Authorization: Bearer abcdef123')).toEqual({
      code: 'runner.internal',
      message: 'Authorization: Bearer ***',
      retryable: false,
    });
    expect(toErrorPayload(undefined).code).toBe('runner.internal');
  });
});

describe('redactSecrets: the token formats it knows', () => {
  it.each([
    'ghu_0123456789abcdefABCDEF0123456789abcd',
    'ghr_0123456789abcdefABCDEF0123456789abcd',
    'ghs_0123456789abcdefABCDEF0123456789abcd',
    'AIzaSyA1234567890abcdefghijklmnopqrstuv',
    'xoxb-1234567890-abcdefghijkl',
    'AKIAIOSFODNN7ABCDEFG',
    `coord_${'Ab0-_'.repeat(9)}ab`,
    `coordfa_${'Ab0-_'.repeat(9)}ab`,
  ])('hides %s', (token) => {
    const out = redactSecrets(`x ${token} y`);
    expect(out).not.toContain(token);
    expect(out).toMatch(/^x \S*\*\*\* y$/);
  });

  it('leaves words that merely start like a token alone', () => {
    const text = 'coord_runner and task-scheduler and AIza short and xoxb-1';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactJson', () => {
  it('redacts every string of an event payload, deep, and leaves other values alone', () => {
    const token = `ghp_${'z'.repeat(36)}`;
    const data = {
      event: { type: 'tool.started', input: { command: ['echo', token], n: 3, ok: true, none: null } },
      note: `said ${token}`,
    };
    expect(redactJson(data)).toEqual({
      event: { type: 'tool.started', input: { command: ['echo', 'ghp_***'], n: 3, ok: true, none: null } },
      note: 'said ghp_***',
    });
  });
});

describe('containsRegisteredSecret', () => {
  it('finds a registered secret in text and in bytes, and nothing else', () => {
    const secret = `file-secret-${randomUUID()}`;
    registerSecret(secret);
    expect(containsRegisteredSecret(`x ${secret} y`)).toBe(true);
    const bytes = new TextEncoder().encode(`header\n${secret}\n`);
    expect(containsRegisteredSecret(bytes.subarray(3))).toBe(true);
    expect(containsRegisteredSecret(bytes.subarray(0, 10))).toBe(false);
    expect(containsRegisteredSecret('ghp_not_registered_but_shaped')).toBe(false);
  });
});
