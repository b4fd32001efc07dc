import { createHash } from 'node:crypto';
import { CoordError } from '@coord/runner-core';

export type RemoteProtocol = 'https' | 'http' | 'ssh' | 'file';

export interface CloneRemote {
  /** The URL exactly as git will be given it. */
  url: string;
  protocol: RemoteProtocol;
  /** Host name (empty for `file:`). */
  host: string;
  /** Repository path on the host, without leading `/`. */
  path: string;
}

export interface RemotePolicy {
  /** `file:` URLs are for the local server and tests only. */
  allowFileRemotes?: boolean;
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);
// A host that cannot be mistaken for an ssh option (`-oProxyCommand=...`).
const hostPattern = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const scpLikePattern = /^([A-Za-z0-9._][A-Za-z0-9._-]*)@([^:/\s]+):(.+)$/;

function invalid(url: string, reason: string): CoordError {
  // Whatever sits between `//` and `@` may be a credential: it never reaches a message.
  const shown = url.slice(0, 200).replace(/\/\/[^/@]*@/, '//***@');
  return new CoordError('git.invalid_remote', `Clone URL ${JSON.stringify(shown)} ${reason}.`);
}

/**
 * Accepts only the remotes DESIGN.md allows: https, ssh, http on loopback (the local forge),
 * `file:` when the caller opts in. Everything else (`ext::`, `fd::`, `git://`, bare paths,
 * anything starting with `-`, URLs carrying credentials) is refused before git sees it.
 */
export function parseCloneUrl(url: string, policy: RemotePolicy = {}): CloneRemote {
  if (url.length === 0 || url.length > 2048)
    return fail(invalid(url, 'must be between 1 and 2048 characters'));
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(url))
    return fail(invalid(url, 'contains whitespace or control characters'));
  if (url.startsWith('-')) return fail(invalid(url, 'starts with "-" (it would be read as an option)'));

  const scp = scpLikePattern.exec(url);
  if (scp && !url.includes('://')) {
    const [, , host = '', path = ''] = scp;
    if (!hostPattern.test(host)) return fail(invalid(url, 'has an invalid host'));
    if (path.startsWith('-')) return fail(invalid(url, 'has a path starting with "-"'));
    return { url, protocol: 'ssh', host: host.toLowerCase(), path: path.replace(/^\/+/, '') };
  }

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(invalid(url, 'is not a URL (expected https://, ssh:// or git@host:path)'));
  }
  if (parsed.password) return fail(invalid(url, 'contains credentials (tokens never travel in URLs)'));
  const path = decodeURIComponent(parsed.pathname).replace(/^\/+/, '');

  switch (parsed.protocol) {
    case 'https:':
    case 'http:': {
      if (parsed.username) return fail(invalid(url, 'contains credentials (tokens never travel in URLs)'));
      if (parsed.protocol === 'http:' && !loopbackHosts.has(parsed.hostname)) {
        return fail(invalid(url, 'uses http on a host other than 127.0.0.1, localhost or [::1]'));
      }
      if (!path) return fail(invalid(url, 'has no repository path'));
      return {
        url,
        protocol: parsed.protocol === 'https:' ? 'https' : 'http',
        host: parsed.hostname.toLowerCase(),
        path,
      };
    }
    case 'ssh:': {
      const host = parsed.hostname;
      if (!hostPattern.test(host)) return fail(invalid(url, 'has an invalid host'));
      if (parsed.username && !/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(parsed.username)) {
        return fail(invalid(url, 'has an invalid user name'));
      }
      if (!path || path.startsWith('-')) return fail(invalid(url, 'has an invalid repository path'));
      return { url, protocol: 'ssh', host: host.toLowerCase(), path };
    }
    case 'file:': {
      if (!policy.allowFileRemotes)
        return fail(invalid(url, 'uses file:, which only the local server may use'));
      if (parsed.username || parsed.host) return fail(invalid(url, 'must be file:///absolute/path'));
      if (!path) return fail(invalid(url, 'has no repository path'));
      return { url, protocol: 'file', host: '', path };
    }
    default:
      return fail(
        invalid(url, `uses ${parsed.protocol.replace(/:$/, '')}:, only https and ssh are accepted`),
      );
  }
}

function fail(error: CoordError): never {
  throw error;
}

/** Protocols git may use for this remote (`GIT_ALLOW_PROTOCOL`), so that redirects and submodules cannot widen them. */
export function allowedProtocolsFor(remote: CloneRemote): string[] {
  return [remote.protocol];
}

/**
 * A directory name for the remote's mirror: a readable slug plus a hash of the normalized URL, so
 * that two spellings of different repositories never collide and no URL character reaches a path.
 */
export function mirrorDirectoryName(remote: CloneRemote): string {
  const normalized = `${remote.protocol}://${remote.host}/${remote.path.replace(/\/+$/, '').replace(/\.git$/, '')}`;
  const hash = createHash('sha256').update(normalized).digest('hex').slice(0, 16);
  const slug = remote.path
    .replace(/\.git$/, '')
    .split('/')
    .filter(Boolean)
    .slice(-2)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 60);
  return `${slug || 'repository'}-${hash}.git`;
}

/** `owner/repo` for log lines: never the full URL. */
export function remoteDisplayName(remote: CloneRemote): string {
  return (
    remote.path
      .replace(/\.git$/, '')
      .split('/')
      .filter(Boolean)
      .slice(-2)
      .join('/') || remote.host
  );
}
