import { registerSecret } from '@coord/runner-core';
import type { ForgeCredentials } from '@coord/runner-protocol';

/** Variables a git child may inherit: where to find programs, the user's ssh agent, proxies and CA bundles. */
const passThrough = [
  'PATH',
  'Path',
  'HOME',
  'USERPROFILE',
  'SYSTEMROOT',
  'SystemRoot',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SSH_AUTH_SOCK',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
] as const;

export interface GitIdentity {
  name: string;
  email: string;
}

export interface GitEnvironmentOptions {
  /** The process environment the minimal one is picked from. */
  ambient: Readonly<Record<string, string | undefined>>;
  /** `GIT_ALLOW_PROTOCOL`: the transports this command may use, nothing else (no `ext::`, no submodule tricks). */
  allowedProtocols: readonly string[];
  /** A forge token, for the one command that talks to the forge over http(s). */
  token?: string | null | undefined;
  /** Author and committer of the commits this command makes. */
  identity?: GitIdentity | undefined;
}

/** The value of the `Authorization` header git sends: GitHub and the local forge accept Basic with any user name. */
export function authorizationHeaderValue(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/**
 * A complete, explicit environment for one git command. The token travels only here, as an
 * `http.extraHeader` set through `GIT_CONFIG_*`: never in argv (visible in `ps`), a remote URL or a
 * config file (both readable by the agent that works in the tree).
 */
export function gitEnvironment(options: GitEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of passThrough) {
    const value = options.ambient[key];
    if (value !== undefined && value !== '') env[key] = value;
  }
  Object.assign(env, {
    // English, unlocalized messages: failures are classified by git's wording.
    LC_ALL: 'C',
    LANGUAGE: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: options.allowedProtocols.join(':'),
  });
  // GIT_ALLOW_PROTOCOL acts as `protocol.allow=never` plus `protocol.<ours>.allow=always` and
  // overrides any protocol.* config, for every transport git is led to: a submodule's URL
  // (`ext::`, `file:`) as much as a redirect. On top of that, no command recurses into submodules.
  const config: [string, string][] = [
    ['submodule.recurse', 'false'],
    ['fetch.recurseSubmodules', 'false'],
    ['push.recurseSubmodules', 'no'],
  ];
  if (options.token) {
    config.push(['http.extraHeader', `Authorization: ${authorizationHeaderValue(options.token)}`]);
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  if (options.identity) {
    Object.assign(env, {
      GIT_AUTHOR_NAME: options.identity.name,
      GIT_AUTHOR_EMAIL: options.identity.email,
      GIT_COMMITTER_NAME: options.identity.name,
      GIT_COMMITTER_EMAIL: options.identity.email,
    });
  }
  return env;
}

/** The forge token, registered for redaction (and its Basic header form) before anything can print it. */
export function forgeToken(forge: ForgeCredentials | null): string | null {
  if (!forge) return null;
  registerSecret(forge.token);
  registerSecret(authorizationHeaderValue(forge.token).replace(/^Basic /, ''));
  return forge.token;
}
