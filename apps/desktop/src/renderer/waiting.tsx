import type { ResolvedBy, WaitingInteraction } from '@coord/runner-core/control-api';
import type { InteractionAnswer, InteractionView } from '@coord/runner-protocol';
import { InteractionCard } from '@coord/runner-ui';
import { useState } from 'react';
import { coord, usePushes } from './desktop.js';

/** On every other tab: what waits for the person, one click from answering it. */
export function WaitingBanner({
  waiting,
  onOpen,
  hidden,
}: {
  waiting: readonly WaitingInteraction[];
  onOpen(): void;
  hidden: boolean;
}) {
  if (hidden || waiting.length === 0) return null;
  const first = waiting[0]!;
  const what =
    first.request.kind === 'approval' ? `Approve ${first.request.toolName}?` : 'The agent asks a question';
  return (
    <div className="waiting-banner" role="alert">
      <span className="waiting-dot" aria-hidden="true" />
      <span>
        <strong>
          {waiting.length === 1 ? what : `${waiting.length} approvals and questions wait for you`}
        </strong>
      </span>
      <button className="cr-button cr-button-primary" onClick={onOpen}>
        Review
      </button>
    </div>
  );
}

type Resolved = Pick<InteractionView, 'answer' | 'answeredBy' | 'answeredAt'>;

/**
 * The approvals and questions waiting on this runner, each as the shared interaction card. One
 * answered elsewhere (the web app, the CLI) turns into "resolved elsewhere" the moment the
 * runner says so, and stays a few seconds so the person sees what happened.
 */
export function WaitingCards({ waiting }: { waiting: readonly WaitingInteraction[] }) {
  const [resolved, setResolved] = useState<Map<string, { view: InteractionView }>>(new Map());
  usePushes((push) => {
    if (push.kind !== 'event' || push.event.type !== 'interaction.resolved') return;
    const event = push.event as unknown as {
      interactionId: string;
      answer: InteractionAnswer;
      by: ResolvedBy;
      at: number;
    };
    const known = waiting.find((w) => w.interactionId === event.interactionId);
    if (!known) return;
    const done: Resolved = {
      answer: event.answer,
      answeredBy: event.by === 'web' ? 'web' : 'runner',
      answeredAt: new Date(event.at).toISOString(),
    };
    setResolved((current) =>
      new Map(current).set(event.interactionId, { view: { ...viewOf(known), ...done } }),
    );
    setTimeout(() => {
      setResolved((current) => {
        const next = new Map(current);
        next.delete(event.interactionId);
        return next;
      });
    }, 6000);
  });
  const shown = [
    ...waiting.filter((w) => !resolved.has(w.interactionId)).map(viewOf),
    ...[...resolved.values()].map((r) => r.view),
  ];
  if (shown.length === 0) return null;
  return (
    <section className="panel" aria-label="Waiting for you">
      <h2 className="panel-title">Waiting for you</h2>
      <div className="cards">
        {shown.map((view) => (
          <InteractionCard
            key={view.id}
            interaction={view}
            answeringAs="runner"
            onAnswer={async (answer) => {
              await coord().call({ method: 'answer', interactionId: view.id, answer });
            }}
          />
        ))}
      </div>
    </section>
  );
}

function viewOf(w: WaitingInteraction): InteractionView {
  return {
    id: w.interactionId,
    attemptId: w.attemptId,
    jobId: w.jobId,
    request: w.request as InteractionView['request'],
    createdAt: new Date(w.since).toISOString(),
    answer: null,
    answeredBy: null,
    answeredAt: null,
  };
}
