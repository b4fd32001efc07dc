import type { AnswerRequest, InteractionView, interactionRequestSchema } from '@coord/runner-protocol';
import type { z } from 'zod';
import { ApiError } from '../errors.js';
import { ownAttempt } from './attempts.js';
import { forgetSecretAnswers } from './secret-answers.js';
import type { Store } from './store.js';
import { attemptRow, toInteractionView, visibleAttempt, type InteractionRow } from './views.js';

type InteractionRequest = z.output<typeof interactionRequestSchema>;

function row(store: Store, id: string): InteractionRow | undefined {
  return store.sql('SELECT * FROM interactions WHERE id = ?').get(id) as InteractionRow | undefined;
}

/** Created by the runner with its own id; repeating the same request is a no-op. */
export function putInteraction(
  store: Store,
  accountId: string,
  runnerId: string,
  attemptId: string,
  interactionId: string,
  request: InteractionRequest,
): InteractionView {
  const encoded = JSON.stringify(request);
  return store.tx(() => {
    const attempt = ownAttempt(store, accountId, runnerId, attemptId);
    const existing = row(store, interactionId);
    if (existing) {
      if (existing.attempt_id !== attemptId || existing.request !== encoded) {
        throw new ApiError(
          409,
          'interaction.conflict',
          `Interaction ${interactionId} exists with a different request`,
        );
      }
      return toInteractionView(existing);
    }
    if (attempt.status !== 'active') {
      throw new ApiError(
        409,
        'lease.lost',
        `This runner no longer holds attempt ${attemptId}: it is ${attempt.status}`,
      );
    }
    store
      .sql('INSERT INTO interactions (id, attempt_id, job_id, request, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(interactionId, attemptId, attempt.job_id, encoded, Date.now());
    return toInteractionView(row(store, interactionId)!);
  });
}

export function getInteraction(
  store: Store,
  accountId: string,
  attemptId: string,
  interactionId: string,
): InteractionView {
  visibleAttempt(store, accountId, attemptId);
  const found = row(store, interactionId);
  if (!found || found.attempt_id !== attemptId) {
    throw new ApiError(
      404,
      'interaction.not_found',
      `No interaction ${interactionId} in attempt ${attemptId}`,
    );
  }
  return toInteractionView(found);
}

/** The interaction, if the account may see its attempt; 404 otherwise (never "exists, not yours"). */
function visibleRow(store: Store, accountId: string, interactionId: string): InteractionRow {
  const found = row(store, interactionId);
  const notFound = new ApiError(404, 'interaction.not_found', `No interaction ${interactionId}`);
  if (!found) throw notFound;
  try {
    visibleAttempt(store, accountId, found.attempt_id);
  } catch {
    throw notFound;
  }
  return found;
}

export function visibleInteraction(store: Store, accountId: string, interactionId: string): InteractionView {
  return toInteractionView(visibleRow(store, accountId, interactionId));
}

/** Unanswered questions and approvals of the job's running attempts, oldest first. */
export function waitingInteractions(store: Store, jobId: string): InteractionView[] {
  const rows = store
    .sql(
      `SELECT i.* FROM interactions i JOIN attempts a ON a.id = i.attempt_id
       WHERE i.job_id = ? AND i.answer IS NULL AND a.status = 'active' ORDER BY i.created_at, i.id`,
    )
    .all(jobId) as InteractionRow[];
  return rows.map(toInteractionView);
}

/**
 * First answer wins; a later one learns the winner from the 409's details. The runner hears of
 * the answer at once through its hint stream (and at its next lease renewal otherwise).
 */
export function answerInteraction(
  store: Store,
  accountId: string,
  interactionId: string,
  req: AnswerRequest,
): InteractionView {
  const view = store.tx(() => {
    const found = visibleRow(store, accountId, interactionId);
    if (found.answer !== null) {
      throw new ApiError(
        409,
        'interaction.already_answered',
        `Interaction ${interactionId} was already answered`,
        {
          details: { answer: JSON.parse(found.answer) as unknown, by: found.answered_by },
        },
      );
    }
    const kind = (JSON.parse(found.request) as { kind: string }).kind;
    // Closing a request without answering it (timeout, withdrawn) fits either kind.
    if (req.answer.kind !== 'timeout' && req.answer.kind !== 'withdrawn' && req.answer.kind !== kind) {
      throw new ApiError(
        400,
        'request.invalid',
        `Interaction ${interactionId} is a ${kind}, not a ${req.answer.kind}`,
        {
          issues: [{ path: 'answer.kind', message: `must be ${kind}, timeout or withdrawn` }],
        },
      );
    }
    store
      .sql('UPDATE interactions SET answer = ?, answered_by = ?, answered_at = ? WHERE id = ?')
      .run(JSON.stringify(req.answer), req.by, Date.now(), interactionId);
    // Too late for the attempt: nobody will relay it, so a secret in it is not kept either.
    if (attemptRow(store, found.attempt_id)?.status !== 'active')
      forgetSecretAnswers(store, found.attempt_id);
    return toInteractionView(row(store, interactionId)!);
  });
  store.notifyControl(view.attemptId);
  return view;
}

/** How long an answered request stays on the job page, so a person sees who answered it. */
const RECENTLY_ANSWERED_MS = 10 * 60_000;

/** Waiting requests of the job's running attempts, and the ones answered in the last minutes. */
export function currentInteractions(store: Store, jobId: string, now = Date.now()): InteractionView[] {
  const rows = store
    .sql(
      `SELECT i.* FROM interactions i JOIN attempts a ON a.id = i.attempt_id
       WHERE i.job_id = ? AND ((i.answer IS NULL AND a.status = 'active') OR i.answered_at > ?)
       ORDER BY i.created_at, i.id`,
    )
    .all(jobId, now - RECENTLY_ANSWERED_MS) as InteractionRow[];
  return rows.map(toInteractionView);
}
