/** The app's URL scheme: `coord-runner://jobs/<job id>` opens that job. */
export const DEEP_LINK_SCHEME = 'coord-runner';

// Matched on the raw text: URL parsing would resolve `jobs/../x` into something else first.
const JOB_LINK = new RegExp(`^${DEEP_LINK_SCHEME}://jobs/([A-Za-z0-9_-]{1,100})/?$`);

/** The job a deep link points at, or null for anything else (never trusted further than this). */
export function jobFromDeepLink(link: string): string | null {
  return JOB_LINK.exec(link)?.[1] ?? null;
}

/** On Windows and Linux a deep link arrives as an argument of a second instance. */
export function deepLinkInArgs(argv: readonly string[]): string | null {
  return argv.find((arg) => arg.startsWith(`${DEEP_LINK_SCHEME}://`)) ?? null;
}
