import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isProtectedPath } from '../agents/protected-paths.js';
import type { ToolTargets } from './tool-targets.js';

export interface DangerContext {
  workDir: string;
  /** The user's home directory, where credential files live. */
  home: string | null;
  /** The runner's own state and credentials (AgentRunInput.protectedPaths). */
  protectedPaths: readonly string[];
}

export type DangerKind =
  | 'runner_credentials'
  | 'credentials'
  | 'system'
  | 'destructive'
  | 'privilege'
  | 'remote_script'
  | 'force_push';

export interface Danger {
  kind: DangerKind;
  /** For the person asked: what makes this call dangerous. */
  reason: string;
}

const SYSTEM_DIRS = [
  '/etc',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/boot',
  '/sys',
  '/proc',
  '/dev',
  '/var',
  '/opt',
  '/root',
  '/System',
  '/Library',
  '/private',
];
/** System paths a command may name without being dangerous: devices and temp dirs everyone uses. */
const HARMLESS = ['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/stdin', '/var/tmp', '/tmp'];
const WINDOWS_SYSTEM = /^[a-z]:[\\/](windows|program files( \(x86\))?|programdata)([\\/]|$)/i;

/** Credential files and folders under the home directory. */
const CREDENTIALS = [
  '.ssh',
  '.aws',
  '.gnupg',
  '.kube',
  '.docker/config.json',
  '.netrc',
  '.git-credentials',
  '.npmrc',
  '.pypirc',
  '.config/gh',
  '.config/gcloud',
  '.azure',
  '.claude/.credentials.json',
  '.codex/auth.json',
  '.gemini/oauth_creds.json',
];
/** The same, as they appear inside a command line (`cat ~/.ssh/id_rsa`, `$HOME/.aws/credentials`). */
const CREDENTIAL_WORDS =
  /(^|[\s'"=:/~])(\.ssh\/|id_rsa|id_ed25519|id_ecdsa|\.aws\/credentials|\.netrc|\.git-credentials|\.gnupg\/|\.kube\/config|\.docker\/config\.json|\.config\/gh\/|\.npmrc|\.pypirc|\.credentials\.json|\.codex\/auth\.json|oauth_creds\.json)/;

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

function isSystemPath(path: string): boolean {
  if (WINDOWS_SYSTEM.test(path)) return true;
  if (!path.startsWith('/') || HARMLESS.some((h) => inside(h, path))) return false;
  return path === '/' || SYSTEM_DIRS.some((dir) => inside(dir, path));
}

/** The simple commands of a command line: split at ;, &&, ||, |, newlines (good enough to look for words). */
function segments(command: string): string[][] {
  return command
    .split(/;|&&|\|\||\||\n/)
    .map((s) =>
      s
        .trim()
        .split(/\s+/)
        .map((w) => w.replace(/^['"]|['"]$/g, ''))
        .filter(Boolean),
    )
    .filter((words) => words.length > 0);
}

/** The program of a simple command, past `env`, variable assignments and `command`/`exec` prefixes. */
function program(words: string[]): { name: string; args: string[] } {
  let i = 0;
  while (
    i < words.length &&
    (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) ||
      ['env', 'command', 'exec', 'nohup', 'time'].includes(words[i]!))
  )
    i += 1;
  const name = (words[i] ?? '').split('/').at(-1) ?? '';
  return { name, args: words.slice(i + 1) };
}

const BROAD_TARGETS =
  /^(\/|\/\*|~|~\/|~\/\*|\$HOME|\$\{HOME\}|\$HOME\/\*?|\*|\.|\.\/|\.\.|\.\.\/.*|\/\w+\/?\*?)$/;

function dangerInCommand(command: string, ctx: DangerContext): Danger | null {
  if (ctx.protectedPaths.some((p) => p.length > 1 && command.includes(p))) {
    return { kind: 'runner_credentials', reason: "it names the runner's own state or credentials" };
  }
  if (CREDENTIAL_WORDS.test(command))
    return {
      kind: 'credentials',
      reason: 'it touches credential files (SSH keys, cloud or registry tokens)',
    };
  if (
    /\b(curl|wget|fetch)\b[^|;&\n]*\|\s*(sudo\s+)?(ba|z|da|k|fi)?sh\b/.test(command) ||
    /\b(ba|z)?sh\s+(-c\s+)?["']?(<\(|\$\()\s*(curl|wget)\b/.test(command)
  ) {
    return { kind: 'remote_script', reason: 'it pipes a download into a shell' };
  }
  for (const words of segments(command)) {
    const { name, args } = program(words);
    if (['sudo', 'doas', 'su', 'pkexec'].includes(name))
      return { kind: 'privilege', reason: `it runs ${name}` };
    if (name === 'rm') {
      const recursive = args.some((a) => /^-[a-zA-Z]*[rR]/.test(a) || a === '--recursive');
      const targets = args.filter((a) => !a.startsWith('-'));
      const broad = targets.find(
        (t) =>
          BROAD_TARGETS.test(t) || isSystemPath(t) || (ctx.home !== null && resolve(t) === resolve(ctx.home)),
      );
      if (recursive && broad !== undefined)
        return { kind: 'destructive', reason: `it deletes ${broad} recursively` };
    }
    if (name === 'git' && args[0] === 'push') {
      const force = args.some(
        (a) =>
          a === '--force' ||
          a === '-f' ||
          a.startsWith('--force-with-lease') ||
          /^-[a-zA-Z]*f/.test(a) ||
          a.startsWith('+'),
      );
      const refs = args.filter((a) => !a.startsWith('-')).slice(2);
      const base =
        refs.length === 0 ||
        refs.some((r) => /(^|[:+/])(main|master|trunk|develop|release[\w/.-]*)$/.test(r));
      if (force && base) return { kind: 'force_push', reason: 'it force-pushes a base branch' };
    }
    if (['mkfs', 'dd', 'shutdown', 'reboot', 'halt', 'poweroff'].includes(name) || name.startsWith('mkfs.')) {
      return { kind: 'system', reason: `it runs ${name}` };
    }
    const systemArg = args.find(
      (a) =>
        isSystemPath(a.replace(/^[0-9]*>+/, '')) &&
        (/^[0-9]*>/.test(a) ||
          ['mv', 'cp', 'chmod', 'chown', 'tee', 'ln', 'install', 'truncate', 'rm', 'rmdir'].includes(name)),
    );
    if (systemArg)
      return { kind: 'system', reason: `it changes ${systemArg.replace(/^[0-9]*>+/, '')}, a system path` };
  }
  return null;
}

function dangerInPath(path: string, ctx: DangerContext): Danger | null {
  if (isProtectedPath(path, ctx.protectedPaths, ctx.workDir)) {
    return { kind: 'runner_credentials', reason: `${path} is the runner's own state or credentials` };
  }
  if (ctx.home) {
    const home = resolve(ctx.home);
    const secret = CREDENTIALS.find((c) => inside(resolve(home, c), path));
    if (secret) return { kind: 'credentials', reason: `${path} holds credentials (~${sep}${secret})` };
  }
  if (!inside(resolve(ctx.workDir), path) && isSystemPath(path))
    return { kind: 'system', reason: `${path} is a system path` };
  return null;
}

/**
 * What makes a tool call dangerous, whatever the permission settings: the runner's own
 * credentials (always refused), credential files, system directories, recursive deletes of broad
 * paths, privilege escalation, a download piped into a shell, a force-push of a base branch.
 * Such calls are never approved automatically.
 */
export function findDanger(targets: ToolTargets, ctx: DangerContext): Danger | null {
  let found: Danger | null = null;
  const consider = (danger: Danger | null) => {
    // The runner's credentials outrank everything: that one is refused, not asked.
    if (danger && (!found || danger.kind === 'runner_credentials')) found = danger;
  };
  for (const path of targets.paths) consider(dangerInPath(path, ctx));
  for (const command of targets.commands) consider(dangerInCommand(command, ctx));
  return found;
}
