import type { InteractionAnswer, InteractionRequest } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { ManualClock, until } from '../../test/manual-clock.js';
import type { AgentEvent } from '../agents/agent-event.js';
import type { AnswerOutcome } from '../client/coord-client.js';
import { redactSecrets, registerSecret } from '../errors.js';
import type { JobEventDraft } from '../events/runner-event.js';
import type { PermissionSettings } from '../policy/permission-policy.js';
import { createInteractions } from './interactions.js';

/** A server where the first answer wins (`webFirst` plays a person who answered before the runner). */
function harness(settings: PermissionSettings = { mode: 'ask' }) {
  const clock = new ManualClock();
  const events: JobEventDraft[] = [];
  const put: Array<{ interactionId: string; request: InteractionRequest }> = [];
  const toAgent: Array<{ requestId: string; answer: InteractionAnswer }> = [];
  const states: string[] = [];
  const server = { webFirst: null as InteractionAnswer | null, refusePuts: false };
  const errors: unknown[] = [];
  /** Answers this runner sent the server. */
  const sent: InteractionAnswer[] = [];
  const interactions = createInteractions({
    clock,
    timeoutMs: 30 * 60_000,
    policy: {
      settings,
      jobMode: undefined,
      home: '/home/u',
      protectedPaths: ['/state'],
      workDir: () => '/work/a',
    },
    put: (interactionId, request) => {
      put.push({ interactionId, request });
      return server.refusePuts ? Promise.reject(new Error('401')) : Promise.resolve();
    },
    answer: (_id, answer): Promise<AnswerOutcome> => (
      sent.push(answer),
      Promise.resolve(
        server.webFirst
          ? { won: false, answer: server.webFirst, by: 'web' }
          : { won: true, answer, by: 'runner' },
      )
    ),
    respond: (requestId, answer) => toAgent.push({ requestId, answer }),
    emit: (event) => events.push(event),
    onWaiting: () => states.push('waiting'),
    onAllAnswered: () => states.push('answered'),
    reportError: (error) => {
      if (!server.refusePuts) throw error;
      errors.push(error);
    },
  });
  return { clock, events, put, toAgent, states, server, errors, sent, interactions };
}

const approval = (over: Partial<Extract<AgentEvent, { type: 'approval.requested' }>> = {}): AgentEvent => ({
  type: 'approval.requested',
  requestId: 'req-1',
  toolName: 'Bash',
  kind: 'shell',
  summary: 'npm test',
  input: { command: 'npm test' },
  ...over,
});

describe('interactions', () => {
  it('asks people about a tool call the policy sends to them, and gives the agent their answer', () => {
    const h = harness();
    h.interactions.onAgentEvent(approval());
    expect(h.events[0]).toMatchObject({ type: 'approval.decided', decision: 'ask', by: 'policy' });
    expect(h.put).toHaveLength(1);
    const { interactionId, request } = h.put[0]!;
    expect(request).toMatchObject({ kind: 'approval', toolName: 'Bash', workDir: '/work/a' });
    expect(h.states).toEqual(['waiting']);
    const allow: InteractionAnswer = { kind: 'approval', decision: 'allow_once' };
    expect(h.interactions.resolve(interactionId, allow, 'web')).toBe(true);
    expect(h.toAgent).toEqual([{ requestId: 'req-1', answer: allow }]);
    expect(h.events.at(-1)).toEqual({
      type: 'interaction.resolved',
      interactionId,
      answer: allow,
      by: 'web',
    });
    expect(h.states).toEqual(['waiting', 'answered']);
    expect(h.interactions.resolve(interactionId, allow, 'web')).toBe(false);
  });

  it('answers at once what the policy decides itself', () => {
    const h = harness({ mode: 'auto_project' });
    h.interactions.onAgentEvent(
      approval({ kind: 'read', toolName: 'Read', input: { file_path: '/work/a/x' } }),
    );
    expect(h.put).toEqual([]);
    expect(h.toAgent).toEqual([{ requestId: 'req-1', answer: { kind: 'approval', decision: 'allow_once' } }]);
    h.interactions.onAgentEvent(
      approval({
        requestId: 'req-2',
        kind: 'read',
        toolName: 'Read',
        input: { file_path: '/state/credentials' },
      }),
    );
    expect(h.toAgent[1]).toMatchObject({
      requestId: 'req-2',
      answer: { kind: 'approval', decision: 'deny' },
    });
  });

  it('denies by timeout what nobody answers, and closes what the agent withdrew', async () => {
    const h = harness();
    h.interactions.onAgentEvent({
      type: 'question.requested',
      requestId: 'q-1',
      questions: [
        { id: '1', text: 'Which?', options: [{ label: 'a' }], multiSelect: false, allowFreeText: false },
      ],
    });
    h.clock.advance(30 * 60_000);
    await until(() => h.toAgent.length === 1);
    expect(h.toAgent[0]).toEqual({ requestId: 'q-1', answer: { kind: 'timeout' } });
    expect(h.events.at(-1)).toMatchObject({ type: 'interaction.resolved', by: 'timeout' });

    h.interactions.onAgentEvent(approval({ requestId: 'req-9' }));
    h.interactions.onAgentEvent({ type: 'request.withdrawn', requestId: 'req-9' });
    await until(() => h.toAgent.length === 2);
    // Closed as withdrawn, on the server too: not a timeout, and nobody's answer.
    expect(h.sent.at(-1)).toEqual({ kind: 'withdrawn' });
    expect(h.events.at(-1)).toMatchObject({
      type: 'interaction.resolved',
      answer: { kind: 'withdrawn' },
      by: 'withdrawn',
    });
    expect(h.clock.pendingTimers).toBe(0);
  });

  it("applies the answer that won on the server, a person's that came first", async () => {
    const h = harness();
    h.interactions.onAgentEvent(approval());
    const deny: InteractionAnswer = { kind: 'approval', decision: 'deny', message: 'no' };
    h.server.webFirst = deny;
    const outcome = await h.interactions.answer(h.put[0]!.interactionId, {
      kind: 'approval',
      decision: 'allow_once',
    });
    expect(outcome.won).toBe(false);
    expect(h.toAgent).toEqual([{ requestId: 'req-1', answer: deny }]);
    expect(h.events.at(-1)).toMatchObject({ by: 'web' });
  });

  it('redacts the tool input people are shown', () => {
    const h = harness();
    registerSecret('sk-interactions-test-secret-0123456789');
    h.interactions.onAgentEvent(
      approval({ input: { command: 'curl -H sk-interactions-test-secret-0123456789' } }),
    );
    expect(JSON.stringify(h.put[0]!.request)).not.toContain('sk-interactions-test-secret-0123456789');
  });

  it('stops its timeouts once the attempt ends', () => {
    const h = harness();
    h.interactions.onAgentEvent(approval());
    expect(h.clock.pendingTimers).toBe(1);
    h.interactions.close();
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('closes what a gone agent asked, without answering the dead agent', () => {
    const h = harness();
    h.interactions.onAgentEvent(approval());
    h.interactions.withdrawAll();
    expect(h.toAgent).toEqual([]);
    expect(h.events.at(-1)).toMatchObject({
      type: 'interaction.resolved',
      answer: { kind: 'withdrawn' },
      by: 'withdrawn',
    });
    expect(h.sent).toEqual([{ kind: 'withdrawn' }]);
    expect(h.states).toEqual(['waiting', 'answered']);
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.interactions.has(h.put[0]!.interactionId)).toBe(false);
  });

  it('shows a waiting request again once the server takes calls (after a sign-out), and only those waiting', async () => {
    const h = harness();
    h.server.refusePuts = true;
    h.interactions.onAgentEvent(approval());
    h.interactions.onAgentEvent({
      type: 'question.requested',
      requestId: 'q-1',
      questions: [
        { id: '1', text: 'Which?', options: [{ label: 'a' }], multiSelect: false, allowFreeText: false },
      ],
    });
    await until(() => h.errors.length === 2);
    const [first, second] = h.put.map((p) => p.interactionId);
    h.interactions.resolve(second!, { kind: 'timeout' }, 'timeout');
    h.server.refusePuts = false;
    h.interactions.republish();
    expect(h.put.slice(2)).toEqual([{ interactionId: first, request: h.put[0]!.request }]);
  });

  describe('a secret question (a password, a key)', () => {
    const question: AgentEvent = {
      type: 'question.requested',
      requestId: 'req-q',
      questions: [
        { id: 'name', text: 'Your name?', options: [], multiSelect: false, allowFreeText: true },
        {
          id: 'key',
          text: 'The API key?',
          options: [],
          multiSelect: false,
          allowFreeText: true,
          secret: true,
        },
      ],
    };
    const given = (key: string): InteractionAnswer => ({
      kind: 'question',
      answers: { name: ['Ada'], key: [key] },
    });

    it('answered here: the agent gets it, the server and the events get a mask, and it is redacted from then on', async () => {
      const h = harness();
      h.interactions.onAgentEvent(question);
      const { interactionId, request } = h.put[0]!;
      expect(request).toMatchObject({ questions: [{ id: 'name' }, { id: 'key', secret: true }] });
      const key = 'sk-live-Zq8v1Np4Lx7Rt2Wm';
      await h.interactions.answer(interactionId, given(key));
      expect(h.toAgent).toEqual([{ requestId: 'req-q', answer: given(key) }]);
      expect(h.sent).toEqual([{ kind: 'question', answers: { name: ['Ada'], key: ['[secret]'] } }]);
      expect(h.events.at(-1)).toMatchObject({ answer: { answers: { name: ['Ada'], key: ['[secret]'] } } });
      expect(JSON.stringify(h.events)).not.toContain(key);
      // The agent printing it later is redacted like any known secret.
      expect(redactSecrets(`echo ${key}`)).not.toContain(key);
    });

    it('answered on the web: the agent gets it, the event a mask, even for a short secret', () => {
      const h = harness();
      h.interactions.onAgentEvent(question);
      const { interactionId } = h.put[0]!;
      h.interactions.resolve(interactionId, given('pin42'), 'web');
      expect(h.toAgent).toEqual([{ requestId: 'req-q', answer: given('pin42') }]);
      expect(h.events.at(-1)).toMatchObject({ answer: { answers: { key: ['[secret]'] } }, by: 'web' });
      expect(JSON.stringify(h.events)).not.toContain('pin42');
    });
  });
});
