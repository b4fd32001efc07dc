import { Hono } from 'hono';
import type { Context } from 'hono';
import { accountByToken, type Account } from '../db/accounts.js';
import { listJobs } from '../db/jobs.js';
import type { Store } from '../db/store.js';
import { tokenFromAuthorization } from '../http/auth.js';
import { forgePrincipal, mayAccess } from '../forge/auth.js';
import { findPull, diffStat } from '../forge/pulls.js';
import { findRepo } from '../forge/repos.js';

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body>${body}</body></html>`;

/** Browsers ask for a user and password: any user name, the API token as the password. */
function unauthorized(c: Context) {
  return c.html(
    page('Sign in', '<p>Sign in with any user name and your Coord token as the password.</p>'),
    401,
    {
      'WWW-Authenticate': 'Basic realm="coord"',
    },
  );
}

/** A minimal stand-in for the Coord web app: the job list and pull request pages. */
export function webRoutes(store: Store): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    const token = tokenFromAuthorization(c.req.header('authorization'));
    const account: Account | null = token ? accountByToken(store, token) : null;
    if (!account) return unauthorized(c);
    const rows = listJobs(store, account.id, {})
      .reverse()
      .map((job) => {
        const last = job.attempts.at(-1);
        const pr = last?.pullRequest
          ? `<a href="${escape(last.pullRequest.url)}">#${last.pullRequest.number}</a>`
          : '';
        return `<tr><td>${escape(job.id)}</td><td>${escape(String(job.spec.title ?? ''))}</td><td>${job.status}</td><td>${job.attempts.length}</td><td>${pr}</td></tr>`;
      })
      .join('');
    return c.html(
      page(
        'Coord local server',
        `<h1>Jobs</h1><table><tr><th>id</th><th>title</th><th>status</th><th>attempts</th><th>PR</th></tr>${rows}</table>`,
      ),
    );
  });

  app.get('/forge/:owner/:repo/pull/:number', async (c) => {
    const principal = forgePrincipal(store, tokenFromAuthorization(c.req.header('authorization')));
    if (!principal) return unauthorized(c);
    const { owner, repo: name, number } = c.req.param();
    const repo = findRepo(store, owner, name);
    const pull =
      repo && mayAccess(principal, owner, name) ? findPull(store, repo, Number(number)) : undefined;
    if (!repo || !pull) return c.html(page('Not found', '<p>Not found</p>'), 404);
    const stat = await diffStat(store, repo, pull.base_ref, pull.head_ref);
    return c.html(
      page(
        pull.title,
        `<h1>${escape(pull.title)} <small>#${pull.number} (${pull.state})</small></h1>
<p>${escape(pull.head_ref)} &rarr; ${escape(pull.base_ref)}: ${stat.commits} commits, ${stat.changed_files} files, +${stat.additions} -${stat.deletions}</p>
<pre>${escape(pull.body ?? '')}</pre>`,
      ),
    );
  });

  return app;
}
