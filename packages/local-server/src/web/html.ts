import type { Context } from 'hono';

export const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

export const page = (title: string, body: string, head = '') =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>${head}
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body>${body}</body></html>`;

/** Browsers ask for a user and password: any user name, the API token as the password. */
export function unauthorized(c: Context) {
  return c.html(
    page('Sign in', '<p>Sign in with any user name and your Coord token as the password.</p>'),
    401,
    {
      'WWW-Authenticate': 'Basic realm="coord"',
    },
  );
}
