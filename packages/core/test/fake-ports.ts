import type {
  AgentId,
  AttemptEvent,
  CompleteRequest,
  ControlRequest,
  InteractionAnswer,
  LeaseRenewResponse,
} from '@coord/runner-protocol';
import { Subject } from 'rxjs';
import { parseEventLines } from './event-lines.js';
import type { AgentEvent } from '../src/agents/agent-event.js';
import type { CoordClient, EventLines } from '../src/client/coord-client.js';
import type {
  AgentDetection,
  AgentPort,
  AgentResult,
  AgentRun,
  AgentRunInput,
  Clock,
  LocalOutputFile,
  LocalWorkspacePort,
} from '../src/runner/ports.js';
import { createRunner } from '../src/runner/runner.js';
import type { Runner } from '../src/runner/runner-api.js';
import { createMemoryEventSpool } from '../src/store/event-spool.js';

/** An agent port whose detection is fixed and whose runs the test supplies (or refuses). */
export function fakeAgentPort(
  id: AgentId,
  options: { detection?: Partial<AgentDetection>; start?: (input: AgentRunInput) => AgentRun } = {},
): AgentPort & { started: AgentRunInput[] } {
  const started: AgentRunInput[] = [];
  return {
    id,
    displayName: `Fake ${id}`,
    started,
    detect: () =>
      Promise.resolve({
        id,
        state: 'detected',
        version: '1.0.0',
        enabled: true,
        path: `/opt/${id}/bin/${id}`,
        ...options.detection,
      } as AgentDetection),
    start: (input) => {
      started.push(input);
      if (!options.start) throw new Error(`fake agent ${id} was not given runs`);
      return options.start(input);
    },
  };
}

/** One scripted agent process: the test pushes its output and ends it. */
export interface FakeAgentRun extends AgentRun {
  readonly input: AgentRunInput;
  emit(event: AgentEvent): void;
  finish(result: Partial<AgentResult>): void;
  readonly calls: string[];
  /** The grace each `interrupt` was given, in order. */
  readonly graces: number[];
}

/** `holdInterrupt`: a graceful stop waits until the test finishes the run (the agent's own pace). */
export function fakeAgentRun(input: AgentRunInput, options: { holdInterrupt?: boolean } = {}): FakeAgentRun {
  const events = new Subject<AgentEvent>();
  let settle!: (result: AgentResult) => void;
  const result = new Promise<AgentResult>((resolve) => (settle = resolve));
  const calls: string[] = [];
  const graces: number[] = [];
  let finished = false;
  const finish = (over: Partial<AgentResult>) => {
    if (finished) return;
    finished = true;
    events.complete();
    settle({ status: 'completed', sessionId: 'sess-1', summary: 'done', usage: null, error: null, ...over });
  };
  return {
    input,
    calls,
    graces,
    events$: events.asObservable(),
    result,
    emit: (event) => events.next(event),
    finish,
    respond: (requestId, answer) => calls.push(`respond ${requestId} ${answer.kind}`),
    interrupt: async (graceMs) => {
      calls.push('interrupt');
      graces.push(graceMs);
      if (!options.holdInterrupt) finish({ status: 'interrupted', summary: 'interrupted' });
      await result;
    },
    kill: () => {
      calls.push('kill');
      finish({ status: 'failed', error: { code: 'agent.crashed', message: 'killed', retryable: true } });
    },
  };
}

/** A local workspace in memory: prepared dirs are named after the attempt; outputs are given. */
export function fakeLocalWorkspaces(
  outputs: LocalOutputFile[] = [],
): LocalWorkspacePort & { released: string[] } {
  const released: string[] = [];
  return {
    released,
    prepare: ({ attempt }) => Promise.resolve({ workDir: `/work/${attempt.id}` }),
    collectOutputs: () => Promise.resolve(outputs),
    release: (workDir) => {
      released.push(workDir);
      return Promise.resolve();
    },
  };
}

/**
 * The Coord server's side of one runner's attempts, in memory: events are kept by seq and acked,
 * renewals answer with the controls the test queued, completions are recorded.
 */
export class FakeCoordServer {
  readonly events = new Map<string, AttemptEvent[]>();
  readonly completions: Array<{ attemptId: string; request: CompleteRequest }> = [];
  readonly controls: ControlRequest[] = [];
  renewals = 0;
  /** When set, renewals and uploads are refused with it (a lost lease, say). */
  refuseWith: unknown = null;

  readonly client = {
    uploadEvents: (_runnerId: string, attemptId: string, lines: EventLines) => {
      if (this.refuseWith) return Promise.reject(this.refuseWith);
      return Promise.resolve(this.store(attemptId, lines));
    },
    renewLease: (): Promise<LeaseRenewResponse> => {
      this.renewals += 1;
      if (this.refuseWith) return Promise.reject(this.refuseWith);
      return Promise.resolve({
        leaseExpiresAt: '2030-01-01T00:00:00.000Z',
        controls: this.controls.splice(0),
      });
    },
    complete: (
      _runnerId: string,
      attemptId: string,
      request: CompleteRequest,
      _signal?: AbortSignal,
      events?: EventLines,
    ) => {
      // Carried events are stored first, as an upload would store them (the real server does).
      if (events) {
        if (this.refuseWith) return Promise.reject(this.refuseWith);
        this.store(attemptId, events);
      }
      this.completions.push({ attemptId, request });
      return Promise.resolve({ job: { id: 'job-1', status: 'succeeded' } });
    },
    putInteraction: () => Promise.resolve({}),
    answerInteraction: (_id: string, { answer }: { answer: InteractionAnswer }) =>
      Promise.resolve({ won: true, answer, by: 'runner' }),
    uploadArtifact: () => Promise.resolve({}),
  } as unknown as CoordClient;

  /** Keeps each event once by seq; the ack is how many it holds. */
  private store(attemptId: string, lines: EventLines): number {
    const held = this.events.get(attemptId) ?? [];
    for (const event of parseEventLines(lines)) if (!held.some((e) => e.seq === event.seq)) held.push(event);
    this.events.set(attemptId, held);
    return held.length;
  }

  typesOf(attemptId: string): string[] {
    return (this.events.get(attemptId) ?? []).map((e) => e.type);
  }
}

/** Who the runners in tests say they are. */
export const testIdentity = {
  machineId: 'machine-1',
  name: 'r',
  platform: 'linux',
  arch: 'x64',
  version: 'test',
} as const;

/** What a fake server answers a registration with. */
export const testRegistration = {
  runner: { id: 'run-1', name: 'r', accountId: 'acc-1' },
  workspaces: [],
  timings: { leaseRenewMs: 15_000, leaseTtlMs: 60_000, claimWaitMs: 25_000 },
};

/** A hint stream that stays open, sending nothing, until the runner stops. */
export function quietHints(_runnerId: string, signal: AbortSignal): AsyncIterable<never> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<never>>((resolve) =>
          signal.addEventListener('abort', () => resolve({ done: true, value: undefined })),
        ),
    }),
  };
}

/**
 * A runner as the runner-level tests start it: the tests' identity, one fake Claude Code agent,
 * local work in memory and a memory spool, on `client` and `clock`.
 */
export function testRunner(client: CoordClient, clock: Clock): Runner {
  return createRunner({
    client,
    identity: testIdentity,
    agents: [fakeAgentPort('claude-code')],
    local: fakeLocalWorkspaces(),
    spool: createMemoryEventSpool(),
    clock,
  });
}
