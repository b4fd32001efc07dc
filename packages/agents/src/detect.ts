import type { AgentId, DetectedAgent } from '@coord/runner-protocol';
import { buildAgentEnv, pathOf } from './process/agent-env.js';
import { findExecutable } from './process/find-executable.js';
import { runShortCommand } from './process/run-agent-process.js';

export interface CliDetectorSpec {
  id: AgentId;
  /** The program name looked up on PATH (no shell). */
  binary: string;
  versionArgs?: readonly string[];
  /** Platforms the agent supports; elsewhere it is `unsupported` without looking. */
  platforms?: readonly NodeJS.Platform[];
}

export interface DetectOptions {
  /** Extra environment (e.g. a PATH of its own); added to the allowlisted runner environment. */
  env?: Readonly<Record<string, string>>;
  parentEnv?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  timeoutMs?: number;
}

/** The first version-looking token of `--version` output ("2.1.197 (Claude Code)" -> "2.1.197"). */
export function parseVersion(output: string): string | null {
  const match = /\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?/.exec(output);
  if (match) return match[0];
  const firstLine = output.trim().split('\n')[0]?.trim();
  return firstLine ? firstLine.slice(0, 100) : null;
}

/** Compares the numeric major.minor.patch of two versions (pre-release tags are ignored). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(/[.+-]/).map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i += 1) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * Detects an agent CLI: `unsupported` off its platforms, `not_found` when the binary is not on
 * PATH, otherwise `detected` with the version its `--version` prints (null when that fails: the
 * binary exists, but a broken install will show up as a clear error when a job starts).
 */
export async function detectCli(spec: CliDetectorSpec, options: DetectOptions = {}): Promise<DetectedAgent> {
  const platform = options.platform ?? process.platform;
  if (spec.platforms && !spec.platforms.includes(platform)) {
    return { id: spec.id, state: 'unsupported', version: null, enabled: false };
  }
  const env = buildAgentEnv(options.parentEnv ?? process.env, options.env, platform);
  const pathExt = Object.entries(env).find(([k]) => k.toUpperCase() === 'PATHEXT')?.[1];
  const file = await findExecutable(spec.binary, {
    path: pathOf(env, platform),
    platform,
    ...(pathExt ? { pathExt } : {}),
  });
  if (!file) return { id: spec.id, state: 'not_found', version: null, enabled: false };
  const result = await runShortCommand(file, spec.versionArgs ?? ['--version'], {
    ...(options.env ? { env: options.env } : {}),
    ...(options.parentEnv ? { parentEnv: options.parentEnv } : {}),
    timeoutMs: options.timeoutMs ?? 5000,
  });
  return {
    id: spec.id,
    state: 'detected',
    version: result.ok ? parseVersion(result.stdout) : null,
    enabled: true,
  };
}
