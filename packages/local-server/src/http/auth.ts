/**
 * The token in an Authorization header: `Bearer <t>`, `token <t>` (what octokit sends) or
 * `Basic base64(<any user>:<t>)` (what git sends). Null when there is none.
 */
export function tokenFromAuthorization(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!.trim();
  if (scheme === 'bearer' || scheme === 'token') return value || null;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const password = decoded.slice(colon + 1);
    return password || null;
  }
  return null;
}
