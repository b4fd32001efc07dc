import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { environmentSecrets, redactJson, redactSecrets, registerSecret } from './redact.js';

describe('redactSecrets: formats and encodings', () => {
  it.each([
    [
      'a JWT',
      `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${'dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk'}`,
    ],
    ['a Google OAuth access token', `ya29.${'a0AfH6SMBx'.repeat(4)}`],
    ['a Slack app token', 'xapp-1-A0123456789-1234567890123-abcdef0123456789'],
    ['a GitLab token', 'glpat-abcdefghij0123456789'],
    ['an npm token', `npm_${'a1B2c3D4e5'.repeat(3)}abcdef`],
    ['a Stripe live key', `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`],
    ['an OpenAI project key', `sk-proj-${'Ab1Cd2Ef3Gh4'.repeat(4)}`],
  ])('hides %s', (_kind, token) => {
    const out = redactSecrets(`x ${token} y`);
    expect(out).not.toContain(token.slice(8));
    expect(out).toMatch(/^x \S*\*\*\* y$/);
  });

  it('hides a PEM private key, whole or cut short, and keeps the line that says what it was', () => {
    const body = Array.from({ length: 8 }, () => randomBytes(48).toString('base64')).join('\n');
    const key = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----`;
    expect(redactSecrets(`cat id\n${key}\ndone`)).toBe(
      'cat id\n-----BEGIN OPENSSH PRIVATE KEY-----***\ndone',
    );
    const cut = `-----BEGIN RSA PRIVATE KEY-----\n${body.slice(0, 200)}`;
    expect(redactSecrets(cut)).toBe('-----BEGIN RSA PRIVATE KEY-----***');
    // A public key or certificate is not a secret.
    const cert = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
    expect(redactSecrets(cert)).toBe(cert);
  });

  it('hides a registered secret URL-encoded and base64-encoded at every alignment', () => {
    const secret = `reg/secret+${randomBytes(12).toString('hex')}=`;
    registerSecret(secret);
    expect(redactSecrets(`https://h/?t=${encodeURIComponent(secret)}&x=1`)).toBe('https://h/?t=***&x=1');
    for (const prefix of ['', 'u', 'us', 'user:']) {
      const encoded = Buffer.from(`${prefix}${secret}`).toString('base64');
      const out = redactSecrets(`Authorization-ish: ${encoded}`);
      // What is left around the mask is at most the characters shared with the prefix and padding.
      expect(out).toContain('***');
      expect(out.replace(/\*\*\*/, '').length).toBeLessThan(`Authorization-ish: `.length + 12);
    }
  });

  it('leaves ordinary output alone', () => {
    const text = 'eyJ is how {" encodes; -----BEGIN CERTIFICATE----- ; npm_config; the key is KEY';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('environmentSecrets', () => {
  it('takes the values of variables named like secrets that are set, trimmed, and nothing else', () => {
    expect(
      environmentSecrets({
        ANTHROPIC_API_KEY: 'sk-ant-123456',
        GITHUB_TOKEN: ' ghp_abcdef \n',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG',
        DB_PASSWORD: 'hunter22',
        GOOGLE_APPLICATION_CREDENTIALS: '/keys/sa.json',
        COORD_TOKEN: 'coord_abc',
        OPENAI_API_KEY: '',
        PATH: '/usr/bin',
        HOME: '/home/u',
        KEYBOARD: 'us',
        TOKENIZER: 'fast',
      }),
    ).toEqual([
      'sk-ant-123456',
      'ghp_abcdef',
      'wJalrXUtnFEMI/K7MDENG',
      'hunter22',
      '/keys/sa.json',
      'coord_abc',
    ]);
  });
});

describe('redactJson', () => {
  const token = `ghp_${'Zx9'.repeat(12)}`;

  it('hides secrets in nested values and keys, leaving its input as it was', () => {
    const input = {
      event: { type: 'tool.output', chunk: `token ${token}`, list: ['ok', token] },
      [token]: 1,
    };
    const before = structuredClone(input);
    const out = redactJson(input);
    expect(JSON.stringify(out)).not.toContain(token.slice(4));
    expect(out.event).toEqual({ type: 'tool.output', chunk: 'token ghp_***', list: ['ok', 'ghp_***'] });
    expect(Object.keys(out)).toEqual(['event', 'ghp_***']);
    expect(input).toEqual(before);
  });

  it('returns data with nothing to hide as it is, and a changed object with its key order', () => {
    const clean = { type: 'message.delta', channel: 'text', text: 'nothing to see', n: [1, { a: 'b' }] };
    expect(redactJson(clean)).toBe(clean);
    const mixed = { first: 'a', second: `x ${token}`, third: { c: 'd' } };
    const out = redactJson(mixed);
    expect(Object.keys(out)).toEqual(['first', 'second', 'third']);
    expect(out.third).toBe(mixed.third);
  });

  it('keeps a `__proto__` key as data, never as the prototype', () => {
    const parsed = JSON.parse(`{"__proto__":{"polluted":true},"secret":"${token}"}`) as Record<
      string,
      unknown
    >;
    const out = redactJson(parsed);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'secret']);
    expect(out['secret']).toBe('ghp_***');
  });
});

describe('redactSecrets: short strings seen before', () => {
  it('hides a secret registered after the same text was redacted once', () => {
    const secret = `late-${randomBytes(8).toString('hex')}`;
    const text = `key=${secret}`;
    expect(redactSecrets(text)).toBe(text);
    registerSecret(secret);
    expect(redactSecrets(text)).toBe('key=***');
  });
});
