import { Hono } from 'hono';
import { accountByToken, type Account } from '../db/accounts.js';
import { listJobs } from '../db/jobs.js';
import type { Store } from '../db/store.js';
import { tokenFromAuthorization } from '../http/auth.js';
import { forgePrincipal, mayAccess } from '../forge/auth.js';
import { findPull, diffStat } from '../forge/pulls.js';
import { findRepo } from '../forge/repos.js';
import { escape, page, unauthorized } from './html.js';
import { jobPage } from './job-page.js';

/** A minimal stand-in for the Coord web app: the job list, a job's log, and pull request pages. */
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
        return `<tr><td><a href="/jobs/${encodeURIComponent(job.id)}">${escape(job.id)}</a></td><td>${escape(String(job.spec.title ?? ''))}</td><td>${job.status}</td><td>${job.attempts.length}</td><td>${pr}</td></tr>`;
      })
      .join('');
    return c.html(
      page(
        'Coord local server',
        `<h1>Jobs</h1><table><tr><th>id</th><th>title</th><th>status</th><th>attempts</th><th>PR</th></tr>${rows}</table>`,
      ),
    );
  });

  app.get('/jobs/:jobId', (c) => {
    const token = tokenFromAuthorization(c.req.header('authorization'));
    const account: Account | null = token ? accountByToken(store, token) : null;
    if (!account) return unauthorized(c);
    const html = jobPage(store, account.id, c.req.param('jobId'));
    return html === null ? c.html(page('Not found', '<p>No such job.</p>'), 404) : c.html(html);
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
