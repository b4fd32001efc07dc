import { createHash } from 'node:crypto';
import type { Account } from '../db/accounts.js';

export const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

/**
 * A link only to an http(s) URL (what the protocol accepts); anything else stored by an older
 * server or slipped in another way (`javascript:`, `data:`) is shown as text, never linked.
 */
export function safeLink(url: string, text: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return escape(text);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return escape(text);
  return `<a href="${escape(parsed.href)}" rel="noreferrer">${escape(text)}</a>`;
}

/** Who is looking, and the token their forms carry. */
export interface Viewer {
  account: Account;
  csrf: string;
}

export const STYLE =
  'body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}form.inline{display:inline;margin-right:.5rem}header{margin-bottom:1rem;color:#555}section.interaction{border:2px solid #c60;border-radius:4px;padding:.2rem 1rem .8rem;margin:1rem 0;background:#fff8f0}.waiting{color:#a50}';

/** The pages' one inline style, allowed by hash in the Content-Security-Policy (no 'unsafe-inline'). */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** A state-changing action: a one-button form carrying the CSRF token. */
export function postButton(action: string, label: string, csrf: string): string {
  return `<form class="inline" method="post" action="${escape(action)}"><input type="hidden" name="csrf" value="${escape(csrf)}"><button type="submit">${escape(label)}</button></form>`;
}

export const page = (title: string, body: string, opts: { head?: string; viewer?: Viewer } = {}) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>${opts.head ?? ''}
<style>${STYLE}</style>
</head><body>${
    opts.viewer
      ? `<header>Signed in as ${escape(opts.viewer.account.name)} ${postButton('/sign-out', 'Sign out', opts.viewer.csrf)}</header>`
      : ''
  }${body}</body></html>`;
