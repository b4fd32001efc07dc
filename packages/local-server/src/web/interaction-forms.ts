import { approvalDecisionSchema, type InteractionAnswer, type InteractionView } from '@coord/runner-protocol';
import { ApiError } from '../errors.js';
import { escape } from './html.js';

/** How much of a tool's input a page shows; the API has all of it. */
const SHOWN_INPUT_CHARS = 4000;

const OTHER = '__other__';

function shownInput(input: unknown): string {
  if (input === undefined) return '';
  const text = typeof input === 'string' ? input : JSON.stringify(input, null, 2);
  return text.length > SHOWN_INPUT_CHARS ? `${text.slice(0, SHOWN_INPUT_CHARS)}\n… (cut)` : text;
}

/**
 * A waiting approval or question as a form a person can answer: the tool and its input for an
 * approval (allow once, allow for the job, deny with an optional note), the options and a free
 * text field for each question. Posted with the CSRF token; the first answer wins.
 */
export function interactionForm(interaction: InteractionView, csrf: string): string {
  const action = `/interactions/${encodeURIComponent(interaction.id)}/answer`;
  const hidden = `<input type="hidden" name="csrf" value="${escape(csrf)}">`;
  const { request } = interaction;
  if (request.kind === 'approval') {
    const input = shownInput(request.input);
    return `<section class="interaction"><h3>Approval needed: ${escape(request.toolName)}</h3>
<p>${escape(request.summary)}</p>${input ? `<pre>${escape(input)}</pre>` : ''}${
      request.reason || request.workDir
        ? `<p><small>${escape([request.reason, request.workDir ? `in ${request.workDir}` : ''].filter(Boolean).join(' — '))}</small></p>`
        : ''
    }
<form method="post" action="${escape(action)}">${hidden}
<button type="submit" name="decision" value="allow_once">Allow once</button>
<button type="submit" name="decision" value="allow_session">Allow for this job</button>
<label>Note for the agent <input type="text" name="message" maxlength="2000"></label>
<button type="submit" name="decision" value="deny">Deny</button>
</form></section>`;
  }
  const questions = request.questions
    .map((q) => {
      const name = `q:${q.id}`;
      const type = q.multiSelect ? 'checkbox' : 'radio';
      const options = q.options
        .map(
          (o) =>
            `<label><input type="${type}" name="${escape(name)}" value="${escape(o.label)}"> ${escape(o.label)}${o.description ? ` <small>${escape(o.description)}</small>` : ''}</label><br>`,
        )
        .join('');
      const free =
        (q.allowFreeText ?? true) || q.options.length === 0
          ? `<label>${q.options.length > 0 ? 'Or your own answer' : 'Answer'} <input type="text" name="${escape(`${name}:${OTHER}`)}" maxlength="10000"></label>`
          : '';
      return `<fieldset><legend>${escape(q.text)}</legend>${options}${free}</fieldset>`;
    })
    .join('');
  return `<section class="interaction"><h3>Question</h3>
<form method="post" action="${escape(action)}">${hidden}${questions}
<button type="submit">Answer</button></form></section>`;
}

/** The answer a submitted form stands for, checked against what was asked. */
export function answerFromForm(interaction: InteractionView, form: URLSearchParams): InteractionAnswer {
  const { request } = interaction;
  if (request.kind === 'approval') {
    const decision = approvalDecisionSchema.safeParse(form.get('decision'));
    if (!decision.success) throw new ApiError(400, 'request.invalid', 'Choose allow or deny.');
    const message = form.get('message')?.trim().slice(0, 2000);
    return {
      kind: 'approval',
      decision: decision.data,
      ...(decision.data === 'deny' && message ? { message } : {}),
    };
  }
  const answers: Record<string, string[]> = {};
  for (const q of request.questions) {
    const allowed = new Set(q.options.map((o) => o.label));
    const picked = form.getAll(`q:${q.id}`).filter((v) => allowed.has(v));
    const own = form.get(`q:${q.id}:${OTHER}`)?.trim().slice(0, 10_000);
    const chosen = q.multiSelect ? picked : picked.slice(0, 1);
    if (own && ((q.allowFreeText ?? true) || q.options.length === 0)) chosen.push(own);
    if (chosen.length === 0) throw new ApiError(400, 'request.invalid', `Answer "${q.text}" first.`);
    answers[q.id] = chosen;
  }
  return { kind: 'question', answers };
}
