import { randomBytes } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { accountByToken } from '../db/accounts.js';
import { answerInteraction, visibleInteraction } from '../db/interactions.js';
import { decideDevice, normalizeUserCode, pendingDevice } from '../db/device-codes.js';
import { cancelJob, listJobs, stopJob } from '../db/jobs.js';
import { ApiError } from '../errors.js';
import type { ForgePrincipal } from '../forge/auth.js';
import { mayAccess } from '../forge/auth.js';
import { diffStat, findPull } from '../forge/pulls.js';
import { findRepo } from '../forge/repos.js';
import { bodySource, readForm } from '../http/body.js';
import type { Deps } from '../http/context.js';
import { csrfToken, csrfValid } from './csrf.js';
import { escape, page, safeLink, type Viewer } from './html.js';
import { answerFromForm } from './interaction-forms.js';
import { deviceCodePage, deviceConfirmPage, deviceDonePage } from './device-page.js';
import { jobPage } from './job-page.js';
import { createSession, deleteSession, SESSION_COOKIE, SESSION_TTL_MS, sessionAccount } from './session.js';

type WebEnv = { Bindings: Partial<HttpBindings> };
type WebCtx = Context<WebEnv>;

/** The sign-in form's nonce: the secret its CSRF token derives from before there is a session. */
const SIGN_IN_COOKIE = 'coord_sign_in';

/** Where to go after signing in: a path on this server only (never `//host` or a URL). */
function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[^\s\\]{0,2000}$/.test(next) ? next : '/';
}

/**
 * A minimal stand-in for the Coord web app: sign-in, the job list, a job's log with Cancel and
 * Stop, and pull request pages. Script-free; a session cookie (HttpOnly, SameSite=Strict) after
 * signing in with the API token; every form carries a CSRF token and must come from our own origin.
 */
export function webRoutes({ store, policy }: Deps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  const cookie = (c: WebCtx, path: string, maxAgeMs: number) => ({
    httpOnly: true,
    sameSite: 'Strict' as const,
    path,
    maxAge: Math.floor(maxAgeMs / 1000),
    secure: policy().httpsHosts.has((c.req.header('host') ?? '').toLowerCase()),
  });

  // Forms are posted by our own pages only: Origin (or Sec-Fetch-Site) must say so.
  const sameOrigin = csrf({
    origin: (origin) => policy().origins.has(origin.toLowerCase()),
    secFetchSite: 'same-origin',
  });

  const viewerOf = (c: WebCtx): (Viewer & { sessionId: string }) | null => {
    const sessionId = getCookie(c, SESSION_COOKIE);
    const account = sessionAccount(store, sessionId);
    return account && sessionId ? { account, csrf: csrfToken(sessionId), sessionId } : null;
  };

  const toSignIn = (c: WebCtx) => {
    const url = new URL(c.req.url);
    return c.redirect(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  };

  /** The signed-in viewer of a state-changing form whose CSRF token checks out, and the form. */
  const formViewer = async (c: WebCtx): Promise<Viewer & { sessionId: string; form: URLSearchParams }> => {
    const form = await readForm(bodySource(c));
    const viewer = viewerOf(c);
    if (!viewer) throw new ApiError(401, 'auth.missing_token', 'Sign in first.');
    if (!csrfValid(viewer.sessionId, form.get('csrf') ?? undefined)) {
      throw new ApiError(403, 'auth.forbidden', 'This form has expired: reload the page and try again.');
    }
    return { ...viewer, form };
  };

  app.get('/sign-in', (c) => {
    let nonce = getCookie(c, SIGN_IN_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
      nonce = randomBytes(32).toString('base64url');
      setCookie(c, SIGN_IN_COOKIE, nonce, cookie(c, '/sign-in', 60 * 60 * 1000));
    }
    return c.html(signInPage(csrfToken(nonce), safeNext(c.req.query('next'))));
  });

  app.post('/sign-in', sameOrigin, async (c) => {
    const form = await readForm(bodySource(c));
    const nonce = getCookie(c, SIGN_IN_COOKIE);
    const next = safeNext(form.get('next'));
    if (!nonce || !csrfValid(nonce, form.get('csrf') ?? undefined)) {
      return c.html(
        page('Sign in', '<p>This sign-in form has expired. <a href="/sign-in">Sign in again</a>.</p>'),
        403,
      );
    }
    const token = form.get('token')?.trim();
    const account = token ? accountByToken(store, token) : null;
    if (!account) {
      return c.html(signInPage(csrfToken(nonce), next, 'That token is not valid for this server.'), 401);
    }
    // Always a fresh session id: nothing set before sign-in carries over (no session fixation).
    const sessionId = createSession(store, account.id);
    deleteCookie(c, SIGN_IN_COOKIE, cookie(c, '/sign-in', 0));
    setCookie(c, SESSION_COOKIE, sessionId, cookie(c, '/', SESSION_TTL_MS));
    return c.redirect(next, 303);
  });

  app.post('/sign-out', sameOrigin, async (c) => {
    const viewer = await formViewer(c);
    deleteSession(store, viewer.sessionId);
    deleteCookie(c, SESSION_COOKIE, cookie(c, '/', 0));
    return c.redirect('/sign-in', 303);
  });

  app.get('/', (c) => {
    const viewer = viewerOf(c);
    if (!viewer) return toSignIn(c);
    const rows = listJobs(store, viewer.account.id, {})
      .reverse()
      .map((job) => {
        const last = job.attempts.at(-1);
        const pr = last?.pullRequest ? safeLink(last.pullRequest.url, `#${last.pullRequest.number}`) : '';
        return `<tr><td><a href="/jobs/${encodeURIComponent(job.id)}">${escape(job.id)}</a></td><td>${escape(String(job.spec.title ?? ''))}</td><td>${job.status}</td><td>${job.attempts.length}</td><td>${pr}</td></tr>`;
      })
      .join('');
    return c.html(
      page(
        'Coord local server',
        `<h1>Jobs</h1><table><tr><th>id</th><th>title</th><th>status</th><th>attempts</th><th>PR</th></tr>${rows}</table>`,
        { viewer },
      ),
    );
  });

  app.get('/jobs/:jobId', (c) => {
    const viewer = viewerOf(c);
    if (!viewer) return toSignIn(c);
    const html = jobPage(store, viewer, c.req.param('jobId'));
    return html === null ? c.html(page('Not found', '<p>No such job.</p>', { viewer }), 404) : c.html(html);
  });

  // The same functions the /v1 job API uses: the runner hears of it on its hint stream or renewal.
  app.post('/jobs/:jobId/cancel', sameOrigin, async (c) => {
    const viewer = await formViewer(c);
    const jobId = c.req.param('jobId');
    cancelJob(store, viewer.account.id, jobId);
    return c.redirect(`/jobs/${encodeURIComponent(jobId)}`, 303);
  });

  app.post('/jobs/:jobId/stop', sameOrigin, async (c) => {
    const viewer = await formViewer(c);
    const jobId = c.req.param('jobId');
    stopJob(store, viewer.account.id, jobId);
    return c.redirect(`/jobs/${encodeURIComponent(jobId)}`, 303);
  });

  // The same answer the /v1 API takes; the first answer wins, a later one is told who won.
  app.post('/interactions/:interactionId/answer', sameOrigin, async (c) => {
    const viewer = await formViewer(c);
    const interaction = visibleInteraction(store, viewer.account.id, c.req.param('interactionId'));
    const back = `/jobs/${encodeURIComponent(interaction.jobId)}`;
    try {
      answerInteraction(store, viewer.account.id, interaction.id, {
        answer: answerFromForm(interaction, viewer.form),
        by: 'web',
      });
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'interaction.already_answered') throw error;
      const by = (error.extra.details?.['by'] as string | undefined) ?? 'someone else';
      return c.html(
        page(
          'Already answered',
          `<p>This was already answered (by the ${escape(by)}). <a href="${back}">Back to the job</a>.</p>`,
          { viewer },
        ),
        409,
      );
    }
    return c.redirect(back, 303);
  });

  // Device sign-in: a runner showed this code; the person signed in here approves or denies it.
  app.get('/device', (c) => {
    const viewer = viewerOf(c);
    if (!viewer) return toSignIn(c);
    const typed = c.req.query('code') ?? '';
    if (!typed) return c.html(deviceCodePage(viewer, ''));
    const code = normalizeUserCode(typed);
    const pending = code ? pendingDevice(store, code) : null;
    if (!pending)
      return c.html(deviceCodePage(viewer, typed, 'That code is unknown, already used or expired.'), 404);
    return c.html(deviceConfirmPage(viewer, pending));
  });

  app.post('/device', sameOrigin, async (c) => {
    const viewer = await formViewer(c);
    const code = normalizeUserCode(viewer.form.get('code') ?? '');
    const approve = viewer.form.get('decision') === 'approve';
    if (!code) return c.html(deviceCodePage(viewer, '', 'That is not a code a runner shows.'), 400);
    decideDevice(store, viewer.account.id, code, approve);
    return c.html(deviceDonePage(viewer, approve));
  });

  app.get('/forge/:owner/:repo/pull/:number', async (c) => {
    const viewer = viewerOf(c);
    if (!viewer) return toSignIn(c);
    const principal: ForgePrincipal = {
      kind: 'account',
      name: viewer.account.name,
      accountId: viewer.account.id,
    };
    const { owner, repo: name, number } = c.req.param();
    const repo = findRepo(store, owner, name);
    const pull =
      repo && mayAccess(principal, owner, name) ? findPull(store, repo, Number(number)) : undefined;
    if (!repo || !pull) return c.html(page('Not found', '<p>Not found</p>', { viewer }), 404);
    const stat = await diffStat(store, repo, pull.base_ref, pull.head_ref);
    return c.html(
      page(
        pull.title,
        `<h1>${escape(pull.title)} <small>#${pull.number} (${pull.state})</small></h1>
<p>${escape(pull.head_ref)} &rarr; ${escape(pull.base_ref)}: ${stat.commits} commits, ${stat.changed_files} files, +${stat.additions} -${stat.deletions}</p>
<pre>${escape(pull.body ?? '')}</pre>`,
        { viewer },
      ),
    );
  });

  // Errors of the pages are pages (never a Basic challenge); the message never holds a secret.
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      return c.html(page('Refused', '<p>This request did not come from this server’s own pages.</p>'), 403);
    }
    if (error instanceof ApiError) {
      const link = error.status === 401 ? ' <a href="/sign-in">Sign in</a>.' : '';
      return c.html(page('Error', `<p>${escape(error.message)}${link}</p>`), error.status);
    }
    console.error('coord-local-server: web page error', error);
    return c.html(page('Error', '<p>Internal server error</p>'), 500);
  });

  return app;
}

function signInPage(csrf: string, next: string, problem = ''): string {
  return page(
    'Sign in',
    `<main class="signin"><h1>Sign in to Coord</h1>${problem ? `<p class="problem" role="alert">${escape(problem)}</p>` : ''}
<p>Paste the server's API token: the <code>token</code> file in its data dir.</p>
<form method="post" action="/sign-in">
<input type="hidden" name="csrf" value="${escape(csrf)}">
<input type="hidden" name="next" value="${escape(next)}">
<label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit" class="primary">Sign in</button>
</form></main>`,
  );
}
