import type { AttemptEvent, AttemptView } from '@coord/runner-protocol';
import { ApiError } from '../errors.js';
import { listEvents } from '../db/events.js';
import { waitingInteractions } from '../db/interactions.js';
import { visibleJob } from '../db/jobs.js';
import type { Store } from '../db/store.js';
import { toJobView } from '../db/views.js';
import { escape, page, postButton, safeLink, type Viewer } from './html.js';
import { interactionForm } from './interaction-forms.js';

/** Events shown per attempt; the API pages the rest. */
const SHOWN_EVENTS = 1000;

/**
 * A job and the log of each attempt, as the web app would show them. While the job can still
 * change, the page reloads itself every two seconds (a live log without any script) and offers
 * Cancel, and Stop (graceful) while an attempt runs. Waiting approvals and questions come first,
 * as forms; while one waits the page does not reload (it would wipe a half-typed answer).
 */
export function jobPage(store: Store, viewer: Viewer, jobId: string): string | null {
  const accountId = viewer.account.id;
  let view;
  try {
    view = toJobView(store, visibleJob(store, accountId, jobId), accountId);
  } catch (error) {
    if (error instanceof ApiError) return null;
    throw error;
  }
  const live = view.status === 'ready' || view.status === 'in_progress' || view.status === 'backlog';
  const waiting = live ? waitingInteractions(store, view.id) : [];
  const forms = waiting.map((i) => interactionForm(i, viewer.csrf)).join('');
  const reload = waiting.length > 0 ? `<p><a href="/jobs/${encodeURIComponent(view.id)}">Reload</a></p>` : '';
  const why = view.waiting ? `<p class="waiting">Waiting: ${escape(view.waiting.message)}</p>` : '';
  const attempts = [...view.attempts]
    .reverse()
    .map((attempt) => attemptSection(store, accountId, attempt))
    .join('');
  const base = `/jobs/${encodeURIComponent(view.id)}`;
  const running = view.status === 'in_progress' && view.attempts.some((a) => a.status === 'active');
  const actions = live
    ? `<p>${postButton(`${base}/cancel`, 'Cancel', viewer.csrf)}${running ? postButton(`${base}/stop`, 'Stop (graceful)', viewer.csrf) : ''}</p>`
    : '';
  return page(
    view.spec.title,
    `<p><a href="/">Jobs</a></p>
<h1>${escape(view.spec.title)} <small>${escape(view.status)}</small></h1>
<p>${escape(view.id)} · agent ${escape(view.spec.agent.id)} · ${escape(view.spec.context.type)} job</p>
${actions}${why}${forms}${reload}<pre>${escape(view.spec.instructions)}</pre>
${attempts || '<p>No attempt yet: waiting for a runner.</p>'}`,
    { head: live && waiting.length === 0 ? '<meta http-equiv="refresh" content="2">' : '', viewer },
  );
}

function attemptSection(store: Store, accountId: string, attempt: AttemptView): string {
  const { events } = listEvents(store, accountId, attempt.id, 0, SHOWN_EVENTS);
  const pr = attempt.pullRequest
    ? ` · ${safeLink(attempt.pullRequest.url, `pull request #${attempt.pullRequest.number}`)}`
    : '';
  const error = attempt.error ? `<p>${escape(attempt.error.code)}: ${escape(attempt.error.message)}</p>` : '';
  const more = events.length === SHOWN_EVENTS ? `<p>(first ${SHOWN_EVENTS} events shown)</p>` : '';
  return `<h2>Attempt ${attempt.number} <small>${escape(attempt.status)}</small></h2>
<p>runner ${escape(attempt.runnerName)}${pr}</p>${error}
<pre>${events.map((e) => escape(describeEvent(e))).join('\n')}</pre>${more}`;
}

/** One log line for an attempt event; unknown shapes are shown as their type. */
export function describeEvent(event: AttemptEvent): string {
  const d = event.data as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (event.type) {
    case 'job.claimed':
      return `claimed: ${str(d['title'])}`;
    case 'job.state':
      return `[${str(d['state'])}]`;
    case 'job.log':
      return `· ${str(d['message'])}`;
    case 'approval.decided':
      return `policy: ${str(d['decision'])} ${str(d['toolName'])}: ${str(d['reason'])}`;
    case 'interaction.requested':
      return `? ${JSON.stringify(d['request'])}`;
    case 'interaction.resolved':
      return `✓ answered by ${str(d['by'])}`;
    case 'job.finished': {
      const error = d['error'] as { code?: string; message?: string } | null;
      return `finished ${str(d['outcome'])}${error ? `: ${error.code}: ${error.message}` : ''}`;
    }
    case 'job.agent': {
      const a = (d['event'] ?? {}) as Record<string, unknown>;
      switch (a['type']) {
        case 'message.completed':
          return `agent: ${str(a['text'])}`;
        case 'tool.started':
          return `▸ ${str(a['name'])} ${str(a['title'])}`.trimEnd();
        case 'tool.output':
          return str(a['chunk']).replace(/\n$/, '');
        case 'tool.completed':
          return `  ${str(a['status'])}${typeof a['exitCode'] === 'number' ? ` (exit ${a['exitCode']})` : ''}`;
        case 'session.started':
          return `agent session ${str(a['sessionId'])}${a['demo'] ? ' (demo agent: scripted, no AI)' : ''}`;
        default:
          return `agent ${str(a['type'])}`;
      }
    }
    default:
      return event.type;
  }
}
