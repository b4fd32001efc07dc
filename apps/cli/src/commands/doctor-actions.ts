import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { doctorCheckSchema, type DoctorCheck } from '@coord/runner-core/control-api';
import { readConfig, type RunnerConfig } from '../config.js';
import { callRunner } from '../control/control-client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { historyFile, resolveStateDir } from '../state-dir.js';
import { terminalJson, terminalSafe } from '../terminal-text.js';

const run = promisify(execFile);
const MIN_GIT = [2, 30];
const LOW_DISK_BYTES = 2 * 1024 ** 3;

const ok = (check: string, detail: string): DoctorCheck => ({ check, status: 'ok', detail, next: null });
const problem = (status: 'warn' | 'fail', check: string, detail: string, next: string): DoctorCheck => ({
  check,
  status,
  detail,
  next,
});

async function git(): Promise<DoctorCheck> {
  try {
    const { stdout } = await run('git', ['--version'], { timeout: 10_000 });
    const version = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(stdout);
    if (!version)
      return problem('warn', 'git', `unrecognised version: ${stdout.trim()}`, 'Install git 2.30 or newer.');
    const [major, minor] = [Number(version[1]), Number(version[2])];
    if (major < MIN_GIT[0]! || (major === MIN_GIT[0] && minor < MIN_GIT[1]!)) {
      return problem('fail', 'git', `git ${version[0]} is too old`, 'Install git 2.30 or newer.');
    }
    return ok('git', `git ${version[0]}`);
  } catch {
    return problem(
      'fail',
      'git',
      'git is not on PATH',
      'Install git (https://git-scm.com/downloads) and try again.',
    );
  }
}

async function agents(stateDir: string): Promise<DoctorCheck[]> {
  const { scan } = await import('./agents.js');
  const rows = await scan(stateDir);
  const usable = rows.filter((r) => r.id !== 'demo' && r.state === 'detected' && r.enabled && r.enabledHere);
  const lines = rows.map((r) =>
    r.state === 'detected'
      ? r.enabledHere
        ? ok(`agent ${r.id}`, `${r.displayName} ${r.version ?? ''}`.trim())
        : problem(
            'warn',
            `agent ${r.id}`,
            `${r.displayName} is switched off here`,
            `coord-runner agents enable ${r.id}`,
          )
      : problem(
          'warn',
          `agent ${r.id}`,
          `${r.displayName}: ${r.state === 'not_found' ? 'not found' : 'unsupported on this machine'}`,
          r.hint ?? 'Install it, or ignore this if you do not use it.',
        ),
  );
  if (usable.length === 0) {
    lines.push(
      problem(
        'fail',
        'agents',
        'no real agent is usable (only the scripted demo agent)',
        'Install and sign in to Claude Code, Codex or Gemini CLI; see `coord-runner agents`.',
      ),
    );
  }
  return lines;
}

async function server(
  stateDir: string,
  flags: { server?: string; tokenFile?: string },
): Promise<DoctorCheck> {
  const { resolveConnection } = await import('../connection.js');
  let connection;
  try {
    connection = resolveConnection({ ...flags, stateDir });
  } catch (error) {
    return problem(
      'fail',
      'server',
      (error as Error).message,
      'Sign in: `coord-runner login --server <url> --with-token < token.txt`.',
    );
  }
  const { createCoordClient, isCoordError } = await import('@coord/runner-core');
  try {
    const me = await createCoordClient({
      baseUrl: connection.server,
      token: connection.token,
      retries: 1,
    }).me();
    return ok('server', `${connection.server}: signed in as ${me.account.name}`);
  } catch (error) {
    const code = isCoordError(error) ? error.code : '';
    return code === 'auth.invalid_token'
      ? problem(
          'fail',
          'server',
          `${connection.server} refuses the token`,
          'Sign in again: `coord-runner login --with-token < token.txt`.',
        )
      : problem(
          'fail',
          'server',
          `cannot reach ${connection.server}: ${(error as Error).message}`,
          'Check the URL and your network, or start a local server with `coord-runner local`.',
        );
  }
}

async function forge(): Promise<DoctorCheck> {
  try {
    const response = await fetch('https://api.github.com/', {
      method: 'HEAD',
      signal: AbortSignal.timeout(5000),
    });
    return ok('forge', `api.github.com answers (HTTP ${response.status})`);
  } catch (error) {
    return problem(
      'warn',
      'forge',
      `api.github.com is unreachable: ${(error as Error).message}`,
      'Repository jobs on GitHub need it: check your network or proxy (local jobs and the local server do not).',
    );
  }
}

function disk(stateDir: string, workspaceDir: string): DoctorCheck[] {
  return [...new Set([stateDir, workspaceDir])].filter(existsSync).map((dir) => {
    const stats = statfsSync(dir);
    const free = stats.bavail * stats.bsize;
    const gib = (free / 1024 ** 3).toFixed(1);
    return free < LOW_DISK_BYTES
      ? problem(
          'warn',
          'disk',
          `${gib} GiB free at ${dir}`,
          'Free some space: clones and work trees need room.',
        )
      : ok('disk', `${gib} GiB free at ${dir}`);
  });
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
const day = (date: Date) => date.toISOString().slice(0, 10);
const MAX_LISTED = 20;

/** What repository jobs keep on disk: each mirror and left-behind work tree, with the retention that applies. */
export async function repositoryDisk(stateDir: string, config: RunnerConfig): Promise<DoctorCheck[]> {
  const { repositoryDiskUsage } = await import('@coord/runner-git');
  const { repositoryDirs, retentionFrom } = await import('../compose.js');
  const retention = retentionFrom(config);
  const { mirrors, workTrees, standbys } = await repositoryDiskUsage(
    repositoryDirs(stateDir, config.workspaceDir),
  );
  const total = (items: { bytes: number }[]) => mib(items.reduce((sum, item) => sum + item.bytes, 0));
  const largest = <T extends { bytes: number }>(items: T[]) =>
    [...items].sort((a, b) => b.bytes - a.bytes).slice(0, MAX_LISTED);
  const more = (items: unknown[]) =>
    items.length > MAX_LISTED ? [ok('  …', `and ${items.length - MAX_LISTED} more`)] : [];
  return [
    ok(
      'mirrors',
      `${mirrors.length} (${total(mirrors)}); one no job used for ${retention.mirrorRetentionDays} days is removed (git.mirrorRetentionDays)`,
    ),
    ...largest(mirrors).map((m) =>
      ok(`  mirror ${basename(m.path)}`, `${mib(m.bytes)}, last used ${day(m.lastUsedAt)}`),
    ),
    ...more(mirrors),
    ok(
      'work trees',
      `${workTrees.length} (${total(workTrees)}); a failed or stopped attempt's is removed after ${retention.workTreeRetentionDays} days (git.keepFailedWorkTreesDays)`,
    ),
    ...largest(workTrees).map((w) =>
      ok(
        `  work tree ${basename(dirname(w.path))}/${basename(w.path)}`,
        `${mib(w.bytes)}, last changed ${day(w.lastChangedAt)}`,
      ),
    ),
    ...more(workTrees),
    ok(
      'standby work trees',
      `${standbys.length} (${total(standbys)}); one checked-out tree per repository for its next job, removed with its mirror (git.standbyWorkTrees ${config.git?.standbyWorkTrees === false ? 'false: removed at the next sweep' : 'true'})`,
    ),
    ...largest(standbys).map((s) =>
      ok(`  standby ${basename(s.path)}`, `${mib(s.bytes)}, made ${day(s.lastChangedAt)}`),
    ),
    ...more(standbys),
  ];
}

async function stateDirHealth(stateDir: string): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  try {
    accessSync(stateDir, constants.W_OK);
    const mode = statSync(stateDir).mode & 0o777;
    out.push(
      process.platform !== 'win32' && mode & 0o077
        ? problem(
            'warn',
            'state dir',
            `${stateDir} is readable by other users (mode ${mode.toString(8)})`,
            `chmod 700 ${stateDir}`,
          )
        : ok('state dir', stateDir),
    );
  } catch {
    out.push(
      problem(
        'fail',
        'state dir',
        `${stateDir} is not writable`,
        'Fix its permissions, or pass another --state-dir.',
      ),
    );
  }
  for (const file of ['credentials', 'agent-secrets.json']) {
    const path = join(stateDir, file);
    if (process.platform !== 'win32' && existsSync(path) && statSync(path).mode & 0o077) {
      out.push(problem('fail', 'secrets', `${path} is readable by other users`, `chmod 600 ${path}`));
    }
  }
  try {
    const status = await callRunner(stateDir, { method: 'status' });
    out.push(ok('runner', `running (pid ${status.pid}), ${status.active.length} job(s) active`));
  } catch (error) {
    if (error instanceof CliError && error.exitCode === EXIT.noRunner) out.push(ok('runner', 'not running'));
    else
      out.push(
        problem(
          'warn',
          'runner',
          (error as Error).message,
          error instanceof CliError && error.hint ? error.hint : 'Restart the runner.',
        ),
      );
  }
  if (existsSync(historyFile(stateDir))) out.push(ok('history', historyFile(stateDir)));
  return out;
}

export async function doctor(opts: {
  stateDir?: string;
  server?: string;
  tokenFile?: string;
  json?: boolean;
}) {
  const stateDir = resolveStateDir(opts.stateDir);
  const config = readConfig(stateDir);
  const checks = (
    await Promise.all([
      git().then((c) => [c]),
      agents(stateDir),
      server(stateDir, opts).then((c) => [c]),
      forge().then((c) => [c]),
      Promise.resolve(disk(stateDir, config.workspaceDir ?? join(stateDir, 'workspace'))),
      repositoryDisk(stateDir, config),
      stateDirHealth(stateDir),
    ])
  )
    .flat()
    .map((c) => doctorCheckSchema.parse(c));
  if (opts.json) process.stdout.write(`${terminalJson(checks, 2)}\n`);
  else {
    const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
    process.stdout.write(
      `${terminalSafe(checks.map((c) => `${mark[c.status]} ${c.check}: ${c.detail}${c.next ? `\n    next: ${c.next}` : ''}`).join('\n'))}\n`,
    );
  }
  if (checks.some((c) => c.status === 'fail')) process.exitCode = EXIT.failed;
}
