/**
 * The token of `Bearer <t>` or `token <t>` (what octokit sends): the only schemes the API and the
 * forge API take. Never Basic there: browsers cache Basic credentials and attach them to requests
 * any page makes, which is what let other sites submit and cancel jobs.
 */
export function bearerToken(header: string | undefined | null): string | null {
  const match = parse(header);
  if (!match) return null;
  return match.scheme === 'bearer' || match.scheme === 'token' ? match.value || null : null;
}

/**
 * Git smart HTTP also takes `Basic base64(<any user>:<t>)`, which is what git sends
 * (`x-access-token:<t>`). Null when there is no token.
 */
export function gitToken(header: string | undefined | null): string | null {
  const match = parse(header);
  if (match?.scheme !== 'basic') return bearerToken(header);
  const decoded = Buffer.from(match.value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1) || null;
}

function parse(header: string | undefined | null): { scheme: string; value: string } | null {
  const match = /^(\S+)\s+(.+)$/.exec((header ?? '').trim());
  return match ? { scheme: match[1]!.toLowerCase(), value: match[2]!.trim() } : null;
}
