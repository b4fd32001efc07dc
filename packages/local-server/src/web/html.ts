import type { Account } from '../db/accounts.js';

export const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

/** Who is looking, and the token their forms carry. */
export interface Viewer {
  account: Account;
  csrf: string;
}

export const STYLE =
  'body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}form.inline{display:inline;margin-right:.5rem}header{margin-bottom:1rem;color:#555}';

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
