import type { ServerResponse } from 'node:http';

/** Everything but the app's pages (JSON, downloads, redirects): nothing runs or loads even if a browser shows it. */
const DATA_CSP = "default-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'; sandbox";

/**
 * The headers of every answer, git and refusals included: never framed, never sniffed, no
 * referrer to other sites (not `no-referrer`: with it browsers send `Origin: null`, which the
 * Origin guard refuses), and the data policy above. The app's pages replace the policy with their
 * own (`PAGE_CSP`). No Strict-Transport-Security: the server speaks plain http, and a TLS proxy in
 * front sets its own.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DATA_CSP,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/**
 * Sets them on the node response before anything answers. Headers an answer gives itself win
 * (node merges these under what `writeHead` is given). Set here rather than by a middleware that
 * edits each hono answer after the fact: that turned every answer into a WHATWG Response with
 * its Headers, a large part of the server's CPU per request.
 */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const name in SECURITY_HEADERS) res.setHeader(name, SECURITY_HEADERS[name]!);
}
