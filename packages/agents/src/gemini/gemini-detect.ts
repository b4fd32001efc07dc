import { access, constants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DetectedAgent } from '@coord/runner-protocol';
import { compareVersions, parseVersion, type DetectOptions } from '../detect.js';
import { buildAgentEnv, pathOf } from '../process/agent-env.js';
import { findExecutable } from '../process/find-executable.js';
import { defaultGlobalModuleDirs } from '../process/npm-global.js';
import { runShortCommand } from '../process/run-agent-process.js';

export const geminiInstallCommand = 'npm install -g @google/gemini-cli';
/** `--acp` (renamed from --experimental-acp) and the ACP behaviour the adapter was verified on. */
export const minimumGeminiVersion = '0.61.0';

export interface GeminiDetectOptions extends DetectOptions {
  /** A path people configured (the `gemini` shim, bundle/gemini.js, or a wrapper); tried first. */
  configuredPath?: string;
  /** Global node_modules directories to look in when nothing is on PATH. */
  globalModuleDirs?: readonly string[];
}

/** How to start the CLI: the npm package's script runs under this Node, never through a shim. */
export interface GeminiProgram {
  file: string;
  /** Arguments before the CLI's own (the script path when `file` is Node). */
  prefixArgs: string[];
}

export interface GeminiDetection {
  detected: DetectedAgent;
  program: GeminiProgram | null;
}

const scriptIn = (packageDir: string): string => path.join(packageDir, 'bundle', 'gemini.js');

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Where the package's bundle/gemini.js may be, given a `gemini` found on disk: npm's global bin
 * is a symlink to the script itself; pnpm's and npm's shims live in `node_modules/.bin`, a prefix
 * `bin`, or (Windows) the prefix itself.
 */
async function scriptFor(found: string): Promise<string | null> {
  const real = await realpath(found).catch(() => found);
  if (real.endsWith('.js') && (await isFile(real))) return real;
  const dir = path.dirname(found);
  for (const candidate of [
    path.join(dir, '..', '@google', 'gemini-cli'),
    path.join(dir, '..', 'lib', 'node_modules', '@google', 'gemini-cli'),
    path.join(dir, 'node_modules', '@google', 'gemini-cli'),
  ]) {
    if (await isFile(scriptIn(candidate)))
      return realpath(scriptIn(candidate)).catch(() => scriptIn(candidate));
  }
  return null;
}

async function isExecutable(file: string, platform: NodeJS.Platform): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    if (platform !== 'win32') await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds Gemini CLI: a configured path, then `gemini` on PATH, then a global npm install. The
 * package's bin is a Node script (bundle/gemini.js), started with this Node and the script path:
 * no shell shim (Windows .cmd files cannot be spawned without a shell).
 */
export async function findGeminiProgram(options: GeminiDetectOptions = {}): Promise<GeminiProgram | null> {
  const platform = options.platform ?? process.platform;
  const env = buildAgentEnv(options.parentEnv ?? process.env, options.env, platform);
  const node = (script: string): GeminiProgram => ({ file: process.execPath, prefixArgs: [script] });
  if (options.configuredPath) {
    const configured = options.configuredPath;
    if (configured.endsWith('.js') && (await isFile(configured))) return node(configured);
    if (!(await isExecutable(configured, platform))) return null; // wrong: say so, no silent stand-in
    const script = await scriptFor(configured);
    return script ? node(script) : { file: configured, prefixArgs: [] };
  }
  const pathExt = Object.entries(env).find(([k]) => k.toUpperCase() === 'PATHEXT')?.[1];
  const onPath = await findExecutable('gemini', {
    path: pathOf(env, platform),
    platform,
    ...(pathExt ? { pathExt } : {}),
  });
  if (onPath) {
    const script = await scriptFor(onPath);
    return script ? node(script) : { file: onPath, prefixArgs: [] };
  }
  for (const dir of options.globalModuleDirs ?? defaultGlobalModuleDirs(env, platform)) {
    const script = scriptIn(path.join(dir, '@google', 'gemini-cli'));
    if (await isFile(script)) return node(script);
  }
  return null;
}

/** Detected (with its version), Not found (with the install command) or Unsupported (and why). */
export async function detectGeminiCli(options: GeminiDetectOptions = {}): Promise<GeminiDetection> {
  const base = { id: 'gemini' as const };
  const program = await findGeminiProgram(options);
  if (!program) {
    const hint = options.configuredPath
      ? `No Gemini CLI at ${options.configuredPath}; fix the configured path, or install it: ${geminiInstallCommand}`
      : `Install it with: ${geminiInstallCommand}`;
    return { program: null, detected: { ...base, state: 'not_found', version: null, enabled: false, hint } };
  }
  const result = await runShortCommand(program.file, [...program.prefixArgs, '--version'], {
    env: { ...(options.env ?? {}), GEMINI_CLI_NO_RELAUNCH: 'true' },
    ...(options.parentEnv ? { parentEnv: options.parentEnv } : {}),
    timeoutMs: options.timeoutMs ?? 15_000,
  });
  const version = result.ok ? parseVersion(result.stdout) : null;
  if (!version || !/^\d+\.\d+\.\d+/.test(version)) {
    return {
      program,
      detected: {
        ...base,
        state: 'unsupported',
        version,
        enabled: false,
        hint: `Gemini CLI --version failed or printed no version; reinstall it: ${geminiInstallCommand}`,
      },
    };
  }
  if (compareVersions(version, minimumGeminiVersion) < 0) {
    return {
      program,
      detected: {
        ...base,
        state: 'unsupported',
        version,
        enabled: false,
        hint: `Gemini CLI ${version} is too old (${minimumGeminiVersion} or newer is needed): ${geminiInstallCommand}`,
      },
    };
  }
  return { program, detected: { ...base, state: 'detected', version, enabled: true } };
}
