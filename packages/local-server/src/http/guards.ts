import type { IncomingMessage } from 'node:http';
import { ApiError } from '../errors.js';

/**
 * The names this server answers to. A browser only sends our cookies and runs our pages under these,
 * so a request with another Host (DNS rebinding: evil.example resolving to 127.0.0.1) or from
 * another Origin (a page on another site) is refused before anything else looks at it.
 */
export interface HostPolicy {
  /** Lowercase `host[:port]` values the Host header may carry. */
  readonly hosts: ReadonlySet<string>;
  /** Lowercase origins (`scheme://host[:port]`) a browser request may come from. */
  readonly origins: ReadonlySet<string>;
  /** Hosts reached over https (through a proxy): cookies set there get `Secure`. */
  readonly httpsHosts: ReadonlySet<string>;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

function isLoopbackOrAny(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || ['localhost', '::1', '0.0.0.0', '::'].includes(host);
}

/**
 * The host it listens on (plus the loopback names when it listens on loopback or on every
 * interface), with its port; and each of `publicUrls`, for a server reached through a proxy or a
 * DNS name (e.g. `https://coord.example.com`).
 */
export function hostPolicy(listenHost: string, port: number, publicUrls: readonly string[] = []): HostPolicy {
  const hosts = new Set<string>();
  const origins = new Set<string>();
  const httpsHosts = new Set<string>();
  const own = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  for (const name of new Set([own, ...(isLoopbackOrAny(listenHost) ? LOOPBACK_NAMES : [])])) {
    hosts.add(`${name}:${port}`.toLowerCase());
    origins.add(`http://${name}:${port}`.toLowerCase());
  }
  for (const value of publicUrls) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new TypeError(`publicUrls: ${value} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`publicUrls: ${value} must be an http or https URL`);
    const names = [url.host.toLowerCase()];
    if (url.port === '') names.push(`${url.hostname}:${url.protocol === 'https:' ? 443 : 80}`.toLowerCase());
    for (const name of names) {
      hosts.add(name);
      if (url.protocol === 'https:') httpsHosts.add(name);
    }
    origins.add(url.origin.toLowerCase());
  }
  return { hosts, origins, httpsHosts };
}

/** Refuses a foreign Host (421) or Origin (403); null when the request may go on. */
export function checkHostAndOrigin(req: IncomingMessage, policy: HostPolicy): ApiError | null {
  const host = req.headers.host?.toLowerCase();
  if (!host || !policy.hosts.has(host)) {
    return new ApiError(
      421,
      'request.misdirected',
      `This server does not answer to the host ${JSON.stringify((host ?? '').slice(0, 100))}; a server behind another name needs it in publicUrls (--public-url)`,
    );
  }
  const origin = req.headers.origin;
  // `null` (sandboxed frames, file: pages) is foreign too.
  if (origin !== undefined && !policy.origins.has(origin.toLowerCase())) {
    return new ApiError(403, 'request.forbidden_origin', 'Requests from other sites are refused');
  }
  return null;
}

/**
 * A body (or a declared content type, even with an empty body) must be `expected`. JSON routes
 * thus never take the CORS-simple types (text/plain, forms) a page on another site can send.
 */
export function requireMediaType(req: IncomingMessage, expected: string): void {
  const header = req.headers['content-type'];
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (header === undefined && !hasBody) return;
  const type = (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== expected) {
    throw new ApiError(
      415,
      'request.unsupported_media_type',
      `This route takes ${expected} bodies, not ${JSON.stringify(type.slice(0, 100) || '(none)')}`,
    );
  }
}
