import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { DetectedAgent } from '@coord/runner-protocol';
import { compareVersions, parseVersion, type DetectOptions } from '../detect.js';
import { buildAgentEnv, pathOf } from '../process/agent-env.js';
import { findExecutable, isExecutableFile } from '../process/find-executable.js';
import { runShortCommand } from '../process/run-agent-process.js';
import { defaultGlobalModuleDirs } from '../process/npm-global.js';

export { defaultGlobalModuleDirs };

export const claudeInstallCommand = 'npm install -g @anthropic-ai/claude-code';
/** AskUserQuestion answers (multi-select, typed "Other") work from 2.1.181 on (research 6.5). */
export const minimumClaudeVersion = '2.1.181';

export interface ClaudeDetectOptions extends DetectOptions {
  /** A path people configured; tried before PATH. */
  configuredPath?: string;
  /**
   * Global node_modules directories to look in when nothing is on PATH; by default npm's usual
   * global prefixes (next to this Node, /usr/local, ~/.npm-global, %APPDATA%\\npm).
   */
  globalModuleDirs?: readonly string[];
  arch?: string;
}

export interface ClaudeDetection {
  detected: DetectedAgent;
  /** The program to start: the native binary, not a shell shim, when one was found. */
  file: string | null;
}

/** Names of the platform packages that may hold the native binary here (musl first is harmless). */
function platformPackages(platform: NodeJS.Platform, arch: string): string[] {
  const base = `@anthropic-ai/claude-code-${platform}-${arch}`;
  return platform === 'linux' ? [base, `${base}-musl`] : [base];
}

/**
 * Directories that may be the `@anthropic-ai/claude-code` package, given a `claude` found on
 * disk: npm's bin symlink points into it; pnpm's and npm's shims live in a `node_modules/.bin`
 * or a prefix `bin` next to it.
 */
async function packageDirsFor(found: string): Promise<string[]> {
  const dirs: string[] = [];
  const real = await realpath(found).catch(() => found);
  // .../@anthropic-ai/claude-code/bin/claude.exe
  dirs.push(path.dirname(path.dirname(real)));
  const shimDir = path.dirname(found);
  dirs.push(path.join(shimDir, '..', '@anthropic-ai', 'claude-code')); // node_modules/.bin
  dirs.push(path.join(shimDir, '..', 'lib', 'node_modules', '@anthropic-ai', 'claude-code')); // npm prefix/bin
  dirs.push(path.join(shimDir, 'node_modules', '@anthropic-ai', 'claude-code')); // Windows npm prefix
  return dirs;
}

/** The native binary of an installed claude-code package: beside it (hoisted, pnpm) or inside it. */
async function nativeBinaryIn(
  packageDir: string,
  platform: NodeJS.Platform,
  arch: string,
): Promise<string | null> {
  const root = await realpath(packageDir).catch(() => null);
  if (!root) return null;
  const binary = platform === 'win32' ? 'claude.exe' : 'claude';
  for (const pkg of platformPackages(platform, arch)) {
    const name = pkg.split('/')[1]!;
    for (const candidate of [
      path.join(root, '..', name, binary),
      path.join(root, 'node_modules', '@anthropic-ai', name, binary),
    ]) {
      if (await isExecutableFile(candidate, platform)) return candidate;
    }
  }
  return null;
}

/**
 * Finds the Claude Code program: a configured path, then `claude` on PATH, then a global npm
 * install. When what was found is the npm package's shim or placeholder (its postinstall, which
 * copies the native binary over it, does not run under pnpm or --ignore-scripts), the platform
 * package's native binary is used instead.
 */
export async function findClaudeBinary(options: ClaudeDetectOptions = {}): Promise<string | null> {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const env = buildAgentEnv(options.parentEnv ?? process.env, options.env, platform);
  const pathExt = Object.entries(env).find(([k]) => k.toUpperCase() === 'PATHEXT')?.[1];

  const found: string[] = [];
  if (options.configuredPath) {
    if (await isExecutableFile(options.configuredPath, platform)) found.push(options.configuredPath);
    else return null; // a configured path that is wrong must say so, not be replaced silently
  } else {
    const onPath = await findExecutable('claude', {
      path: pathOf(env, platform),
      platform,
      ...(pathExt ? { pathExt } : {}),
    });
    if (onPath) found.push(onPath);
  }
  for (const file of found) {
    for (const dir of await packageDirsFor(file)) {
      const native = await nativeBinaryIn(dir, platform, arch);
      if (native) return native;
    }
  }
  if (found[0]) return found[0];
  for (const dir of options.globalModuleDirs ?? defaultGlobalModuleDirs(env, platform)) {
    const native = await nativeBinaryIn(path.join(dir, '@anthropic-ai', 'claude-code'), platform, arch);
    if (native) return native;
  }
  return null;
}

/** Detected (with its version), Not found (with the install command) or Unsupported (and why). */
export async function detectClaude(options: ClaudeDetectOptions = {}): Promise<ClaudeDetection> {
  const platform = options.platform ?? process.platform;
  const base = { id: 'claude-code' as const };
  if (!['darwin', 'linux', 'win32'].includes(platform)) {
    return {
      file: null,
      detected: {
        ...base,
        state: 'unsupported',
        version: null,
        enabled: false,
        hint: `Claude Code does not run on ${platform}.`,
      },
    };
  }
  const file = await findClaudeBinary(options);
  if (!file) {
    const hint = options.configuredPath
      ? `No Claude Code program at ${options.configuredPath}; fix the configured path, or install it: ${claudeInstallCommand}`
      : `Install it with: ${claudeInstallCommand}`;
    return { file: null, detected: { ...base, state: 'not_found', version: null, enabled: false, hint } };
  }
  const result = await runShortCommand(file, ['--version'], {
    ...(options.env ? { env: options.env } : {}),
    ...(options.parentEnv ? { parentEnv: options.parentEnv } : {}),
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  const version = result.ok ? parseVersion(result.stdout) : null;
  if (!version || !/^\d+\.\d+\.\d+/.test(version)) {
    return {
      file,
      detected: {
        ...base,
        state: 'unsupported',
        version,
        enabled: false,
        hint: `${file} --version failed or printed no version; reinstall it: ${claudeInstallCommand}`,
      },
    };
  }
  if (compareVersions(version, minimumClaudeVersion) < 0) {
    return {
      file,
      detected: {
        ...base,
        state: 'unsupported',
        version,
        enabled: false,
        hint: `Claude Code ${version} is too old (${minimumClaudeVersion} or newer is needed): ${claudeInstallCommand}`,
      },
    };
  }
  return { file, detected: { ...base, state: 'detected', version, enabled: true } };
}
