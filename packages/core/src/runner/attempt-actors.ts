import { randomBytes } from 'node:crypto';
import type { Assignment, Outcome } from '@coord/runner-protocol';
import { fromPromise, type ActorSystem } from 'xstate';
import { CoordError, isCoordError, type ErrorPayload } from '../errors.js';
import { attemptMachine, type Publication } from '../machine/attempt-machine.js';
import { containsRegisteredSecret } from '../redact.js';
import type { AttemptDeps, AttemptRecord } from './attempt-driver.js';
import { completionRequest, finishedData } from './completion.js';
import { backoffDelayMs } from '../retry.js';
import {
  ATTEMPT_RUN_ENV,
  type AgentResult,
  type AgentRunInput,
  type Clock,
  type LocalOutputFile,
} from './ports.js';
import { delay } from './stop-grace.js';

/** A revision's instructions: the job's, then what the reviewer asked for. */
export function withFeedback(instructions: string, feedback: string | null | undefined): string {
  return feedback
    ? `${instructions}\n\nA reviewer asked for changes to your pull request:\n${feedback}\n\nAdd commits that address this to the same branch.`
    : instructions;
}

/** What an attempt's actors share: its record, and the failed tries of this attempt so far. */
interface AttemptScope {
  record: AttemptRecord;
  tries: NonNullable<AgentRunInput['earlierAttempts']>[number][];
  log(message: string): void;
  assignment(): Assignment;
  spec(): Assignment['job']['spec'];
  attempt(): Assignment['attempt'];
  /** Whether this run looked for what a killed run's agent left (see `stopLeftovers`). */
  leftoversChecked: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- xstate's own AnyActorSystem, not exported
type AnyActorSystem = ActorSystem<any>;

/** Each running attempt machine's scope, by its actor system (one per machine and its children). */
const scopes = new WeakMap<AnyActorSystem, AttemptScope>();

/** Gives the machine just created for `record` (not started yet) its attempt. */
export function bindAttempt(system: AnyActorSystem, record: AttemptRecord): void {
  scopes.set(system, {
    record,
    tries: [],
    log: (message) => record.emit({ type: 'job.log', level: 'info', message }),
    assignment: () => record.claim.assignment!,
    spec: () => record.claim.assignment!.job.spec,
    attempt: () => record.claim.envelope.attempt,
    leftoversChecked: false,
  });
}

/**
 * A runner killed while its agent worked may have left it running (the agent's watchdog stops it
 * only after a grace): those processes are killed before the agent starts again, so two agents
 * never work in one directory. Once per run of the attempt: later starts' processes were its own.
 */
async function stopLeftovers(scope: AttemptScope, settings: AttemptDeps['settings']): Promise<void> {
  if (scope.leftoversChecked) return;
  scope.leftoversChecked = true;
  const marker = scope.record.agentRunMarker;
  if (marker === null || !settings.stopLeftoverProcesses) return;
  const killed = await settings.stopLeftoverProcesses(marker).catch((error: unknown) => {
    scope.log(
      `Could not look for processes the stopped run left: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 0;
  });
  if (killed > 0)
    scope.log(
      `Stopped ${killed} process${killed === 1 ? '' : 'es'} the earlier run of this attempt left running`,
    );
}

function scopeOf(system: AnyActorSystem): AttemptScope {
  const scope = scopes.get(system);
  if (!scope) throw new Error('an attempt machine was started without bindAttempt');
  return scope;
}

const machines = new WeakMap<AttemptDeps, ReturnType<typeof provideAttemptActors>>();

/**
 * The attempt machine with its actors bound to this runner's ports, made once per session:
 * `provide` builds a whole new machine (about 2 ms), which per attempt was a large share of a
 * short job's cost. Each attempt's actors find their attempt through `bindAttempt`.
 */
export function attemptMachineFor(deps: AttemptDeps) {
  let machine = machines.get(deps);
  if (!machine) machines.set(deps, (machine = provideAttemptActors(deps)));
  return machine;
}

function provideAttemptActors(deps: AttemptDeps) {
  const { settings, spool, clock } = deps;

  return attemptMachine.provide({
    actions: {
      checkpoint: ({ context, system }, { step }) => scopeOf(system).record.checkpoint(step, context),
    },
    actors: {
      prepare: fromPromise(async ({ signal, system }) => {
        const { record, log, spec, attempt } = scopeOf(system);
        const s = spec();
        if (s.context.type === 'repository') {
          record.prepared = await deps.repositories!.prepare({
            job: { id: record.jobId, title: s.title },
            attempt: attempt(),
            repository: s.context.repository,
            forge: record.claim.envelope.forge,
            signal,
            log,
            whileWaiting: (wait) => deps.whileWaiting(record.attemptId, wait),
          });
          record.workDir = record.prepared.workDir;
          return { workDir: record.prepared.workDir };
        }
        const prepared = await deps.local!.prepare({ job: { id: record.jobId }, attempt: attempt() });
        record.workDir = prepared.workDir;
        return prepared;
      }),

      runAgent: fromPromise(async ({ input, signal, system }): Promise<AgentResult> => {
        const scope = scopeOf(system);
        const { record, spec, attempt, tries } = scope;
        const s = spec();
        await stopLeftovers(scope, settings);
        const marker = randomBytes(8).toString('hex');
        record.onAgentRunMarker(marker);
        const run = record.claim.agent!.start({
          jobId: record.jobId,
          attemptId: record.attemptId,
          attemptNumber: record.attemptNumber,
          title: s.title,
          instructions: withFeedback(s.instructions, attempt().feedback),
          workDir: input.workDir,
          agent: s.agent,
          resumeSessionId: input.resumeSessionId,
          env: { [ATTEMPT_RUN_ENV]: marker },
          protectedPaths: settings.protectedPaths,
          workContext:
            s.context.type === 'repository' && record.prepared
              ? {
                  kind: 'repository',
                  repository: `${s.context.repository.owner}/${s.context.repository.name}`,
                  branch: record.prepared.branch,
                  baseBranch: record.prepared.baseBranch,
                }
              : { kind: 'local' },
          // The tries of this attempt that failed, for the recap of a fresh session.
          earlierAttempts: [...(attempt().earlier ?? []), ...tries],
        });
        record.agentRun = run;
        const onAbort = () => run.kill();
        signal.addEventListener('abort', onAbort, { once: true });
        const stall = watchForStall(record, clock, settings.agentStallMs, () => run.kill());
        let sessionId: string | null = null;
        const subscription = run.events$.subscribe((event) => {
          stall.reset();
          record.onAgentEvent(event);
          if (event.type === 'session.started') {
            sessionId = event.sessionId;
            record.onAgentSession(event.sessionId);
          }
        });
        try {
          const result = await run.result;
          const ended: AgentResult = stall.fired
            ? { ...result, status: 'failed', error: stalled(settings.agentStallMs) }
            : result;
          if (ended.status === 'failed')
            tries.push({
              number: record.attemptNumber,
              status: 'failed',
              summary: ended.summary || null,
              error: ended.error?.message ?? null,
            });
          // A crash before the agent said its session leaves the result without one.
          return { ...ended, sessionId: ended.sessionId ?? sessionId };
        } finally {
          stall.stop();
          signal.removeEventListener('abort', onAbort);
          subscription.unsubscribe();
          record.onAgentRunEnded();
        }
      }),

      waitToRetry: fromPromise(async ({ input, signal, system }) => {
        const { record } = scopeOf(system);
        const delayMs = backoffDelayMs(settings.agentRetryBackoff, input.retry, clock.random);
        record.emit({
          type: 'job.retry',
          retry: input.retry,
          maxRetries: input.maxRetries,
          delayMs,
          reason: input.failure,
          resumeSessionId: input.resumeSessionId,
        });
        const wait = delay(clock, delayMs);
        // Leaving `retrying` (a cancel, a stop) ends the wait; the machine has moved on by then.
        signal.addEventListener('abort', () => wait.cancel(), { once: true });
        await wait.expired;
      }),

      // The server's stop may say how long the agent gets; the runner's default otherwise.
      interruptAgent: fromPromise(async ({ input, system }) => {
        const { record } = scopeOf(system);
        await record.agentRun?.interrupt(input.graceMs ?? settings.stopGraceMs);
      }),

      publish: fromPromise(async ({ input, signal, system }): Promise<Publication> => {
        const { record, log, spec, assignment, attempt } = scopeOf(system);
        const s = spec();
        if (s.context.type === 'repository') {
          const result = await deps.repositories!.publish({
            workspace: record.prepared!,
            job: {
              id: record.jobId,
              title: s.title,
              instructions: s.instructions,
              webUrl: assignment().job.webUrl,
              submitter: assignment().job.submitter,
            },
            attempt: attempt(),
            repository: s.context.repository,
            forge: record.claim.envelope.forge,
            summary: input.agentResult.summary,
            agentDisplayName: record.claim.agent!.displayName,
            signal,
            log,
          });
          return result.kind === 'pull_request'
            ? { outcome: 'succeeded', pullRequest: result.pullRequest, outputs: null }
            : { outcome: 'no_changes', pullRequest: null, outputs: null };
        }
        const files = await deps.local!.collectOutputs(input.workDir, {
          outputs: s.context.type === 'local' ? s.context.outputs : undefined,
        });
        await refuseLeakingOutputs(files);
        for (const file of files) {
          try {
            await deps.client.uploadArtifact(
              deps.session.runnerId,
              record.attemptId,
              file.path,
              await file.read(),
            );
          } catch (cause) {
            throw new CoordError('artifact.upload_failed', `Cannot upload output file ${file.path}`, {
              cause,
              retryable: isCoordError(cause) && cause.retryable,
            });
          }
          log(`Uploaded ${file.path} (${file.size} bytes)`);
        }
        return {
          outcome: files.length > 0 ? 'succeeded' : 'no_changes',
          pullRequest: null,
          outputs: files.map((f) => f.path),
        };
      }),

      report: fromPromise(async ({ input, system }) => {
        const { record } = scopeOf(system);
        const { finish, agentResult, publication } = input;
        // Let subscribers see the `reporting` state before the finish it reports.
        await Promise.resolve();
        // A cancelled agent was killed, not awaited: report only once its process is gone, so
        // nothing still writes in the work directory of a job the server calls finished.
        if (record.agentRun && agentResult === null)
          await settleWithin(clock, record.agentRun.result, settings.stopGraceMs);
        const finished = finishedData(finish, agentResult, publication);
        record.emit({ type: 'job.finished', ...finished });
        record.reported = true;
        const delivered = await deps.deliver(
          record,
          completionRequest(finished, spool.lastSeq(record.attemptId)),
        );
        if (delivered === 'left')
          record.emit({
            type: 'job.log',
            level: 'warn',
            message: `The server did not take this attempt's report within ${settings.deliveryGraceMs} ms of the stop: it stays in the spool and is sent at the next start.`,
          });
        await releaseWorkDir(record, deps, finish.outcome);
      }),
    },
  });
}

/** Removes a work tree whose work is delivered; failed and stopped ones stay for inspection. */
async function releaseWorkDir(record: AttemptRecord, deps: AttemptDeps, outcome: Outcome): Promise<void> {
  const { assignment } = record.claim;
  if (deps.settings.keepWorkTrees || !record.workDir || record.leaseLost || !assignment) return;
  if (outcome !== 'succeeded' && outcome !== 'no_changes' && outcome !== 'cancelled') return;
  const port = assignment.job.spec.context.type === 'repository' ? deps.repositories : deps.local;
  try {
    await port?.release(record.workDir);
  } catch (error) {
    deps.reportError(error);
  }
}

/**
 * A local job's output files are its deliverable, shown to people: like the pre-push scan for a
 * repository job, none may carry one of the runner's own secrets (the agent could have read them).
 */
async function refuseLeakingOutputs(files: LocalOutputFile[]): Promise<void> {
  const leaking: string[] = [];
  for (const file of files) if (containsRegisteredSecret(await file.read())) leaking.push(file.path);
  if (leaking.length === 0) return;
  throw new CoordError(
    'artifact.secret_detected',
    `Refusing to upload ${leaking.slice(0, 5).join(', ')}${leaking.length > 5 ? ` and ${leaking.length - 5} more` : ''}: ` +
      "the output holds one of the runner's own secrets (its Coord token or an API key). Remove it, and revoke it if it is real, then run the job again.",
  );
}

/** Waits for a promise, but no longer than `ms` (on the injected clock). */
function settleWithin(clock: Clock, promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, ms);
    void promise.finally(() => {
      clock.clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A stall: the agent wrote nothing for `ms` while working (waiting for a person's answer is not a
 * stall). The agent is then killed, and its try fails as `agent.stalled` (transient).
 */
function watchForStall(record: AttemptRecord, clock: Clock, ms: number, kill: () => void) {
  let timer: unknown = null;
  let fired = false;
  let stopped = false;
  /**
   * When the agent last wrote. Output only moves this (it comes many thousand times a second);
   * the one timer, when it fires early, waits the rest of the time from here.
   */
  let lastOutput = clock.now();
  const arm = (delayMs: number) => {
    timer = clock.setTimeout(() => {
      if (stopped) return;
      const quiet = clock.now() - lastOutput;
      if (quiet < ms) return arm(ms - quiet);
      if (record.state === 'awaiting_input') return arm(ms);
      fired = true;
      record.emit({
        type: 'job.log',
        level: 'warn',
        message: `The agent wrote nothing for ${Math.round(ms / 1000)} s; stopping it as stalled.`,
      });
      kill();
    }, delayMs);
  };
  arm(ms);
  return {
    get fired() {
      return fired;
    },
    reset() {
      lastOutput = clock.now();
    },
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}

function stalled(ms: number): ErrorPayload {
  return {
    code: 'agent.stalled',
    message: `The agent wrote nothing for ${Math.round(ms / 1000)} s and was stopped as stalled.`,
    retryable: true,
  };
}
