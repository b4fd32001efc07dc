import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { DetectedAgent } from '@coord/runner-protocol';
import { compareVersions, parseVersion, type DetectOptions } from '../detect.js';
import { buildAgentEnv, pathOf } from '../process/agent-env.js';
import { findExecutable, isExecutableFile } from '../process/find-executable.js';
import { runShortCommand } from '../process/run-agent-process.js';

export const codexInstallCommand = 'npm install -g @openai/codex';
/** The app-server protocol this adapter speaks was checked on 0.171 (generated types in ./protocol). */
export const minimumCodexVersion = '0.171.0';
/** Codex does not support Windows (DESIGN section 1); it ships macOS and Linux binaries we use. */
const supportedPlatforms: readonly NodeJS.Platform[] = ['darwin', 'linux'];

export interface CodexDetectOptions extends DetectOptions {
  /** A path people configured; tried before PATH. */
  configuredPath?: string;
  /** Global node_modules directories to look in when nothing is on PATH (e.g. `npm root -g`). */
  globalModuleDirs?: readonly string[];
  arch?: string;
}

export interface CodexDetection {
  detected: DetectedAgent;
  /** The program to start: the native binary, not the npm package's node shim, when found. */
  file: string | null;
}

/** The Rust target triple the npm package uses for this platform (null: none shipped). */
function targetTriple(platform: NodeJS.Platform, arch: string): string | null {
  if (platform === 'linux' && arch === 'x64') return 'x86_64-unknown-linux-musl';
  if (platform === 'linux' && arch === 'arm64') return 'aarch64-unknown-linux-musl';
  if (platform === 'darwin' && arch === 'x64') return 'x86_64-apple-darwin';
  if (platform === 'darwin' && arch === 'arm64') return 'aarch64-apple-darwin';
  return null;
}

/**
 * Directories that may be the `@openai/codex` package, given a `codex` found on disk: npm's bin
 * symlink points into it (bin/codex.js); pnpm's and npm's shims live in a `node_modules/.bin` or
 * a prefix `bin` next to it.
 */
async function packageDirsFor(found: string): Promise<string[]> {
  const real = await realpath(found).catch(() => found);
  const shimDir = path.dirname(found);
  return [
    path.dirname(path.dirname(real)),
    path.join(shimDir, '..', '@openai', 'codex'),
    path.join(shimDir, '..', 'lib', 'node_modules', '@openai', 'codex'),
  ];
}

/** The native binary of an installed @openai/codex: in its platform package (beside it or inside it). */
async function nativeBinaryIn(
  packageDir: string,
  platform: NodeJS.Platform,
  arch: string,
): Promise<string | null> {
  const root = await realpath(packageDir).catch(() => null);
  const triple = targetTriple(platform, arch);
  if (!root || !triple) return null;
  const platformPackage = `codex-${platform}-${arch}`;
  for (const vendor of [
    path.join(root, '..', platformPackage, 'vendor'),
    path.join(root, 'node_modules', '@openai', platformPackage, 'vendor'),
    path.join(root, 'vendor'),
  ]) {
    const candidate = path.join(vendor, triple, 'bin', 'codex');
    if (await isExecutableFile(candidate, platform)) return candidate;
  }
  return null;
}

/**
 * Finds the Codex program: a configured path, then `codex` on PATH, then a global npm install.
 * The npm package's `codex` is a node script that starts the platform package's native binary;
 * the binary itself is started instead, so signals and the process group reach Codex directly.
 */
export async function findCodexBinary(options: CodexDetectOptions = {}): Promise<string | null> {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const env = buildAgentEnv(options.parentEnv ?? process.env, options.env, platform);

  let found: string | null;
  if (options.configuredPath) {
    if (!(await isExecutableFile(options.configuredPath, platform))) return null; // say so, do not replace it
    found = options.configuredPath;
  } else {
    found = await findExecutable('codex', { path: pathOf(env, platform), platform });
  }
  if (found) {
    for (const dir of await packageDirsFor(found)) {
      const native = await nativeBinaryIn(dir, platform, arch);
      if (native) return native;
    }
    return found;
  }
  for (const dir of options.globalModuleDirs ?? []) {
    const native = await nativeBinaryIn(path.join(dir, '@openai', 'codex'), platform, arch);
    if (native) return native;
  }
  return null;
}

/** Detected (with its version), Not found (with the install command) or Unsupported (and why). */
export async function detectCodexCli(options: CodexDetectOptions = {}): Promise<CodexDetection> {
  const platform = options.platform ?? process.platform;
  const base = { id: 'codex' as const };
  const unsupported = (hint: string, version: string | null = null, file: string | null = null) => ({
    file,
    detected: { ...base, state: 'unsupported' as const, version, enabled: false, hint },
  });
  if (!supportedPlatforms.includes(platform))
    return unsupported(
      platform === 'win32' ? 'Codex does not support Windows.' : `Codex does not run on ${platform}.`,
    );
  const file = await findCodexBinary(options);
  if (!file) {
    const hint = options.configuredPath
      ? `No Codex program at ${options.configuredPath}; fix the configured path, or install it: ${codexInstallCommand}`
      : `Install it with: ${codexInstallCommand}`;
    return { file: null, detected: { ...base, state: 'not_found', version: null, enabled: false, hint } };
  }
  const result = await runShortCommand(file, ['--version'], {
    ...(options.env ? { env: options.env } : {}),
    ...(options.parentEnv ? { parentEnv: options.parentEnv } : {}),
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  // "codex-cli 0.171.0"
  const version = result.ok ? parseVersion(result.stdout) : null;
  if (!version || !/^\d+\.\d+\.\d+/.test(version))
    return unsupported(
      `${file} --version failed or printed no version; reinstall it: ${codexInstallCommand}`,
      version,
      file,
    );
  if (compareVersions(version, minimumCodexVersion) < 0)
    return unsupported(
      `Codex ${version} is too old (${minimumCodexVersion} or newer is needed): ${codexInstallCommand}`,
      version,
      file,
    );
  return { file, detected: { ...base, state: 'detected', version, enabled: true } };
}
