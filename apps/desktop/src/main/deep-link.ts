/** The app's URL scheme: `coord-runner://jobs/<job id>` opens that job. */
export const DEEP_LINK_SCHEME = 'coord-runner';

/** The job a deep link points at, or null for anything else (never trusted further than this). */
export function jobFromDeepLink(link: string): string | null {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  if (url.protocol !== `${DEEP_LINK_SCHEME}:`) return null;
  // `coord-runner://jobs/abc` parses with host "jobs" and path "/abc".
  const parts = [url.host, ...url.pathname.split('/')].filter(Boolean);
  if (parts.length !== 2 || parts[0] !== 'jobs') return null;
  const id = decodeURIComponent(parts[1]!);
  return /^[A-Za-z0-9_-]{1,100}$/.test(id) ? id : null;
}

/** On Windows and Linux a deep link arrives as an argument of a second instance. */
export function deepLinkInArgs(argv: readonly string[]): string | null {
  return argv.find((arg) => arg.startsWith(`${DEEP_LINK_SCHEME}://`)) ?? null;
}
