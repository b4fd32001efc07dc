import type { JobView } from '@coord/runner-protocol';

const COUNT = new Intl.NumberFormat('en');

/** "1,000,000". One formatter for all: `toLocaleString` builds a new one on every call. */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** "3 s", "4 min 5 s", "2 h 10 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** "just now", "5 min ago", else a date. */
export function formatWhen(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const ago = now - t;
  if (ago < 45_000) return 'just now';
  if (ago < 3_600_000) return `${Math.round(ago / 60_000)} min ago`;
  if (ago < 86_400_000) return `${Math.round(ago / 3_600_000)} h ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** `owner/name` of a repository job, "Local" otherwise. */
export function jobWhere(job: JobView): string {
  const c = job.spec.context;
  return c.type === 'repository' ? `${c.repository.owner}/${c.repository.name}` : 'Local';
}

/**
 * A link target for a URL from the server: http(s) only (the protocol admits nothing else, but an
 * older server's data might hold anything), else undefined and the caller shows text.
 */
export function safeHref(url: string | undefined | null): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
