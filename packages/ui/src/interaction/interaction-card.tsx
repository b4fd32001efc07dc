import type { InteractionAnswer, InteractionView } from '@coord/runner-protocol';
import { useState, type FormEvent } from 'react';
import { toolInput } from '../log/log-entry.js';
import { DiffView } from '../log/log-row.js';

export interface InteractionCardProps {
  interaction: InteractionView;
  /** Sends the answer; a rejection's message is shown on the card. */
  onAnswer(answer: InteractionAnswer): Promise<void>;
  /** Who this card answers as: an answer by anyone else is "resolved elsewhere". */
  answeringAs?: 'web' | 'runner';
}

type QuestionRequest = Extract<InteractionView['request'], { kind: 'question' }>;
type ApprovalRequest = Extract<InteractionView['request'], { kind: 'approval' }>;

function describeAnswer(request: InteractionView['request'], answer: InteractionAnswer): string {
  if (answer.kind === 'timeout') return 'Nobody answered in time: it was denied.';
  if (answer.kind === 'withdrawn') return 'Withdrawn: the agent no longer needs an answer.';
  if (answer.kind === 'question') {
    // A secret answer is never shown, whoever gave it and wherever it is looked at.
    const secret = new Set(
      request.kind === 'question' ? request.questions.filter((q) => q.secret).map((q) => q.id) : [],
    );
    const given = Object.entries(answer.answers).map(([id, a]) =>
      secret.has(id) ? '(secret)' : a.join(', '),
    );
    return given.length > 0 ? `Answered: ${given.join('; ')}.` : 'Answered.';
  }
  const label = { allow_once: 'Allowed once', allow_session: 'Allowed for this session', deny: 'Denied' }[
    answer.decision
  ];
  return `${label}${answer.stop ? ', and the agent was stopped' : ''}${answer.message ? `: “${answer.message}”` : '.'}`;
}

/**
 * A waiting approval or question, answerable here; the first answer wins, wherever it comes from.
 * Once answered (here or elsewhere) the card says so and offers nothing to press.
 */
export function InteractionCard({ interaction, onAnswer, answeringAs = 'web' }: InteractionCardProps) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [mine, setMine] = useState(false);
  const { request, answer } = interaction;

  const send = async (a: InteractionAnswer) => {
    setBusy(true);
    setProblem(null);
    try {
      await onAnswer(a);
      setMine(true);
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  if (answer) {
    // Timed out or withdrawn: nobody answered it, here or elsewhere.
    const closed = answer.kind === 'timeout' || answer.kind === 'withdrawn';
    const elsewhere = !mine && interaction.answeredBy !== null && interaction.answeredBy !== answeringAs;
    return (
      <section className="cr-card cr-interaction cr-resolved" aria-label="Resolved request">
        <div className="cr-interaction-head">
          <span className="cr-pill cr-pill-neutral">
            {closed
              ? 'Closed'
              : elsewhere
                ? `Resolved elsewhere (from the ${interaction.answeredBy})`
                : 'Resolved'}
          </span>
          <span className="cr-interaction-title">
            {request.kind === 'approval' ? request.toolName : 'Question'}
          </span>
        </div>
        <p className="cr-muted">{describeAnswer(request, answer)}</p>
      </section>
    );
  }

  return request.kind === 'approval' ? (
    <ApprovalCard request={request} busy={busy} problem={problem} send={send} />
  ) : (
    <QuestionCard request={request} busy={busy} problem={problem} send={send} />
  );
}

interface Inner<R> {
  request: R;
  busy: boolean;
  problem: string | null;
  send(answer: InteractionAnswer): Promise<void>;
}

function ApprovalCard({ request, busy, problem, send }: Inner<ApprovalRequest>) {
  const [note, setNote] = useState('');
  const input = toolInput('', request.input);
  const message = note.trim() ? { message: note.trim().slice(0, 2000) } : {};
  return (
    <section
      className="cr-card cr-interaction cr-approval"
      aria-label={`Approval needed: ${request.toolName}`}
    >
      <div className="cr-interaction-head">
        <span className="cr-pill cr-pill-waiting">Approval needed</span>
        <span className="cr-interaction-title">{request.toolName}</span>
      </div>
      <p className="cr-interaction-summary">{request.summary}</p>
      {input.type === 'edit' ? (
        <DiffView path={input.path} before={input.before} after={input.after} />
      ) : input.type === 'write' && input.content !== undefined ? (
        <DiffView path={input.path} before="" after={input.content} />
      ) : input.type === 'command' ? (
        <pre className="cr-code cr-command">
          <span className="cr-prompt">$ </span>
          {input.command}
        </pre>
      ) : input.type === 'json' ? (
        <pre className="cr-code">{input.text}</pre>
      ) : null}
      <dl className="cr-facts">
        {request.workDir ? (
          <>
            <dt>Working directory</dt>
            <dd className="cr-mono">{request.workDir}</dd>
          </>
        ) : null}
        {request.reason ? (
          <>
            <dt>Why it asks</dt>
            <dd>{request.reason}</dd>
          </>
        ) : null}
      </dl>
      <label className="cr-field">
        <span className="cr-field-label">Note for the agent (with a denial)</span>
        <input
          className="cr-input"
          type="text"
          maxLength={2000}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder="Why not, or what to do instead"
        />
      </label>
      <div className="cr-actions">
        <button
          type="button"
          className="cr-button cr-button-primary"
          disabled={busy}
          onClick={() => void send({ kind: 'approval', decision: 'allow_once' })}
        >
          Approve once
        </button>
        <button
          type="button"
          className="cr-button"
          disabled={busy}
          onClick={() => void send({ kind: 'approval', decision: 'allow_session' })}
        >
          Approve for this session
        </button>
        <button
          type="button"
          className="cr-button cr-button-danger"
          disabled={busy}
          onClick={() => void send({ kind: 'approval', decision: 'deny', ...message })}
        >
          Deny
        </button>
        <button
          type="button"
          className="cr-button cr-button-danger"
          disabled={busy}
          onClick={() => void send({ kind: 'approval', decision: 'deny', stop: true, ...message })}
        >
          Deny and stop
        </button>
      </div>
      {problem ? (
        <p className="cr-problem" role="alert">
          {problem}
        </p>
      ) : null}
    </section>
  );
}

function QuestionCard({ request, busy, problem, send }: Inner<QuestionRequest>) {
  const [picked, setPicked] = useState<Record<string, string[]>>({});
  const [own, setOwn] = useState<Record<string, string>>({});
  const [missing, setMissing] = useState<string | null>(null);

  const toggle = (id: string, label: string, multi: boolean) =>
    setPicked((p) => {
      const now = p[id] ?? [];
      const next = multi ? (now.includes(label) ? now.filter((l) => l !== label) : [...now, label]) : [label];
      return { ...p, [id]: next };
    });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const answers: Record<string, string[]> = {};
    for (const q of request.questions) {
      const text = own[q.id]?.trim();
      const chosen = [...(picked[q.id] ?? []), ...(text ? [text] : [])];
      if (chosen.length === 0) return setMissing(`Answer “${q.text}” first.`);
      answers[q.id] = chosen;
    }
    setMissing(null);
    void send({ kind: 'question', answers });
  };

  return (
    <section className="cr-card cr-interaction cr-question" aria-label="Question from the agent">
      <div className="cr-interaction-head">
        <span className="cr-pill cr-pill-waiting">Question</span>
        <span className="cr-interaction-title">The agent asks</span>
      </div>
      <form onSubmit={submit}>
        {request.questions.map((q) => {
          const multi = q.multiSelect ?? false;
          const free = (q.allowFreeText ?? true) || q.options.length === 0;
          return (
            <fieldset key={q.id} className="cr-fieldset">
              <legend className="cr-question-text">{q.text}</legend>
              {q.options.map((o) => (
                <label key={o.label} className="cr-option">
                  <input
                    type={multi ? 'checkbox' : 'radio'}
                    name={`q-${q.id}`}
                    checked={(picked[q.id] ?? []).includes(o.label)}
                    onChange={() => toggle(q.id, o.label, multi)}
                  />
                  <span>
                    {o.label}
                    {o.description ? <span className="cr-muted"> — {o.description}</span> : null}
                  </span>
                </label>
              ))}
              {free ? (
                <label className="cr-field">
                  <span className="cr-field-label">
                    {q.options.length > 0 ? 'Or your own answer' : 'Your answer'}
                    {q.secret ? <span className="cr-muted"> (secret: hidden, never logged)</span> : null}
                  </span>
                  <input
                    className="cr-input"
                    type={q.secret ? 'password' : 'text'}
                    // A browser must neither remember nor suggest a secret answer.
                    autoComplete={q.secret ? 'new-password' : 'off'}
                    maxLength={10_000}
                    value={own[q.id] ?? ''}
                    onChange={(e) => setOwn((o) => ({ ...o, [q.id]: e.target.value }))}
                  />
                </label>
              ) : null}
            </fieldset>
          );
        })}
        <div className="cr-actions">
          <button type="submit" className="cr-button cr-button-primary" disabled={busy}>
            Send answer
          </button>
        </div>
      </form>
      {missing || problem ? (
        <p className="cr-problem" role="alert">
          {missing ?? problem}
        </p>
      ) : null}
    </section>
  );
}
