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

export const STYLE = [
  ':root{color-scheme:light dark;--bg:#f7f7f8;--fg:#1c1d21;--muted:#5c5f6a;--line:#e3e4e8;--card:#fff;--accent:#5e6ad2}',
  '@media (prefers-color-scheme:dark){:root{--bg:#101114;--fg:#e6e7eb;--muted:#a3a6b0;--line:#2a2c33;--card:#17181c;--accent:#7c86f0}}',
  'body{font:14px/1.5 ui-sans-serif,-apple-system,"Segoe UI",Inter,Roboto,Arial,sans-serif;margin:0;padding:2rem;background:var(--bg);color:var(--fg)}',
  'a{color:var(--accent)}h1{font-size:20px;font-weight:600}pre{font:12px/1.5 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem}',
  'table{border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:8px}td,th{padding:.45rem .9rem;border-bottom:1px solid var(--line);text-align:left}th{font-size:12px;color:var(--muted);font-weight:600}',
  'input,button{font:inherit;color:inherit}input[type=text],input[type=password]{height:32px;padding:0 .6rem;border:1px solid var(--line);border-radius:6px;background:var(--card);width:100%;box-sizing:border-box}',
  'button{height:32px;padding:0 .9rem;border:1px solid var(--line);border-radius:6px;background:var(--card);cursor:pointer;font-weight:500}button.primary{background:var(--accent);border-color:var(--accent);color:#fff}',
  'form.inline{display:inline;margin-right:.5rem}header{margin-bottom:1rem;color:var(--muted)}.waiting{color:#b7791f}',
  'section.interaction{border:1px solid #d69e2e;border-radius:8px;padding:.2rem 1rem .8rem;margin:1rem 0;background:var(--card)}',
  '.signin{max-width:380px;margin:10vh auto;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.6rem 1.8rem}.signin p{color:var(--muted)}.signin label{display:block;font-size:12px;font-weight:500;color:var(--muted);margin:1rem 0}.signin label input{margin-top:.3rem}.signin button{width:100%}.problem{color:#c93b3b}',
].join('');

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
      ? `<header>Signed in as ${escape(opts.viewer.account.name)} ${postButton('/sign-out', 'Sign out', opts.viewer.csrf)} <a href="/app">Open the web app</a></header>`
      : ''
  }${body}</body></html>`;
