import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { settingSchema, statusSnapshotSchema } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';

describe('coord-runner config', () => {
  it('keeps settings in config.json and secrets owner-only, never printed in full nor taken from argv', async () => {
    const dir = tempDir('config');
    onCleanup(dir.cleanup);
    const stateDir = join(dir.path, 'state');
    const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: stateDir });
    const cli = (args: string[], input?: string) =>
      runCli(args, { env, timeoutMs: 30_000, ...(input !== undefined ? { input } : {}) });

    expect((await cli(['config', 'set', 'capacity', '2'])).exitCode).toBe(0);
    const bad = await cli(['config', 'set', 'capacity', 'lots']);
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toContain('capacity must be a positive whole number, got "lots"');

    const key = 'sk-ant-secret-value-0123456789';
    const inArgv = await cli(['config', 'set', 'anthropic.apiKey', key]);
    expect(inArgv.exitCode).toBe(2);
    expect(String(inArgv.stderr)).toContain('never taken from the command line');
    expect(String(inArgv.all)).not.toContain(key);
    const piped = await cli(['config', 'set', 'anthropic.apiKey'], `${key}\n`);
    expect(piped.exitCode, String(piped.all)).toBe(0);
    expect(String(piped.all)).not.toContain(key);

    const listed = await cli(['config', 'list', '--json']);
    const settings = settingSchema.array().parse(JSON.parse(String(listed.stdout)));
    expect(settings.find((s) => s.key === 'capacity')?.value).toBe(2);
    expect(settings.find((s) => s.key === 'anthropic.apiKey')).toMatchObject({
      secret: true,
      value: 'sk-…6789',
    });
    expect(String(listed.stdout)).not.toContain(key);

    // A base URL is an address, not a key: taken from argv, shown in full, in the shareable config.
    const proxy = 'https://llm-proxy.example.com/v1';
    expect((await cli(['config', 'set', 'anthropic.baseUrl', proxy])).exitCode).toBe(0);
    expect(String((await cli(['config', 'get', 'anthropic.baseUrl'])).stdout).trim()).toBe(proxy);
    const withKey = await cli(['config', 'set', 'anthropic.baseUrl', `https://llm.example.com/?key=${key}`]);
    expect(withKey.exitCode).toBe(2);
    expect(String(withKey.stderr)).toContain('must not carry a credential');
    expect(String(withKey.all)).not.toContain(key);
    expect(JSON.parse(readFileSync(join(stateDir, 'config.json'), 'utf8'))).toMatchObject({
      anthropic: { baseUrl: proxy },
    });

    // The secret is in an owner-only file, and not in the shareable config.
    expect(statSync(join(stateDir, 'agent-secrets.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(stateDir, 'config.json'), 'utf8')).not.toContain(key);
    expect((await cli(['config', 'get', 'nope'])).exitCode).toBe(2);
    expect((await cli(['config', 'unset', 'capacity'])).exitCode).toBe(0);
    expect(String((await cli(['config', 'get', 'capacity'])).stdout).trim()).toBe('(default)');
  }, 60_000);

  it('start takes its capacity from the settings unless a flag says otherwise', async () => {
    const dir = tempDir('config-start');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${server.token}\n`, { mode: 0o600 });
    const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: join(dir.path, 'state') });
    expect((await runCli(['config', 'set', 'capacity', '3'], { env })).exitCode).toBe(0);
    const runner = startCli(['start', '--server', server.url, '--token-file', tokenFile], env);
    onCleanup(async () => {
      runner.child.kill('SIGKILL');
      await runner.child;
    });
    const status = await eventually(
      async () => {
        const res = await runCli(['status', '--json'], { env });
        return res.exitCode === 0 ? statusSnapshotSchema.parse(JSON.parse(String(res.stdout))) : undefined;
      },
      20_000,
      'the runner',
    );
    expect(status.capacity).toBe(3);
  }, 60_000);
});
