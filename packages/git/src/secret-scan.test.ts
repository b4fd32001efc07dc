import { randomBytes } from 'node:crypto';
import { registerSecret } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { scanDiffForSecrets } from './secret-scan.js';

function diff(file: string, added: string[], start = 1): string {
  return [
    `diff --git a/${file} b/${file}`,
    'index 0000000..1111111 100644',
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -0,0 +${start},${added.length} @@`,
    ...added.map((line) => `+${line}`),
  ].join('\n');
}

describe('scanDiffForSecrets', () => {
  it.each([
    ['GitHub token', `token = "ghp_${'a'.repeat(36)}"`],
    ['GitHub token', `github_pat_${'A1_'.repeat(20)}`],
    ['Anthropic API key', `ANTHROPIC_API_KEY=sk-ant-api03-${'x'.repeat(40)}`],
    ['OpenAI API key', `OPENAI_API_KEY=sk-proj-${'Ab1'.repeat(20)}`],
    ['OpenAI API key', `key: sk-${'a1B2'.repeat(12)}`],
    ['AWS access key id', 'aws_access_key_id = AKIAZ7Q3LMNOPQRSTUVW'],
    ['AWS secret access key', `aws_secret_access_key = ${'wJalrXUtnFEMIK7MDENGbPxRfiCYzz'}abcdefghij`],
    ['private key', '-----BEGIN RSA PRIVATE KEY-----'],
    ['private key', '-----BEGIN OPENSSH PRIVATE KEY-----'],
    ['private key', '-----BEGIN PRIVATE KEY-----'],
  ])('finds a %s', (kind, line) => {
    expect(scanDiffForSecrets(diff('conf/app.env', ['ok = 1', line], 10))).toEqual([
      { file: 'conf/app.env', line: 11, kind },
    ]);
  });

  it('ignores ordinary code, documentation examples and removed lines', () => {
    const text = [
      diff('README.md', [
        'Use AKIAIOSFODNN7EXAMPLE as in the AWS docs.',
        'sk-short',
        'const ghp = "ghp_";',
        '-----BEGIN PUBLIC KEY-----',
      ]),
      'diff --git a/old.env b/old.env',
      '--- a/old.env',
      '+++ b/old.env',
      '@@ -1 +0,0 @@',
      `-TOKEN=ghp_${'b'.repeat(36)}`,
    ].join('\n');
    expect(scanDiffForSecrets(text)).toEqual([]);
  });

  it('finds an exact extra secret whatever its shape, and reports positions only', () => {
    const findings = scanDiffForSecrets(diff('a.txt', ['x', 'y', 'value=plain-forge-token-123']), [
      'plain-forge-token-123',
    ]);
    expect(findings).toEqual([{ file: 'a.txt', line: 3, kind: 'forge token' }]);
    expect(JSON.stringify(findings)).not.toContain('plain-forge-token-123');
  });

  it('reads quoted file names and counts lines across hunks', () => {
    const text = [
      'diff --git "a/na\\303\\257ve file.txt" "b/na\\303\\257ve file.txt"',
      '--- /dev/null',
      '+++ "b/na\\303\\257ve file.txt"',
      '@@ -0,0 +1,2 @@',
      '+fine',
      '+fine',
      '@@ -10,0 +20,1 @@',
      '+-----BEGIN EC PRIVATE KEY-----',
    ].join('\n');
    expect(scanDiffForSecrets(text)).toEqual([{ file: 'naïve file.txt', line: 20, kind: 'private key' }]);
  });

  it("blocks the runner's own secrets, whatever their shape (its Coord token read by the agent)", () => {
    const token = `plain${randomBytes(16).toString('hex')}`;
    expect(scanDiffForSecrets(diff('leak.txt', [token]))).toEqual([]);
    registerSecret(token);
    expect(scanDiffForSecrets(diff('leak.txt', ['ok', `token=${token}`]))).toEqual([
      { file: 'leak.txt', line: 2, kind: "one of the runner's own secrets" },
    ]);
  });
});
