import type { RegisterRunnerResponse } from '@coord/runner-protocol';
import { map, merge } from 'rxjs';
import { createRunner } from './runner.js';
import type { Runner, RunnerOptions } from './runner-api.js';
import { createSlotPool, type SlotPoolOptions } from './slot-pool.js';

/** One server connection (an account on a Coord server) of a runner that has several. */
export interface ConnectionOptions {
  /** Names the connection in status and events (`default`, or the account's name). */
  name: string;
  /** The server's URL, for status. */
  server: string;
  /** The connection's own runner: its client, spool and credentials; slots come from the group. */
  runner: Omit<RunnerOptions, 'slots' | 'capacity' | 'agentLimits'>;
}

export interface RunnerGroupOptions extends SlotPoolOptions {
  connections: readonly ConnectionOptions[];
}

/** A runner with several connections: one `Runner` to its frontends, one slot pool for them all. */
export interface RunnerGroup extends Runner {
  readonly connections: readonly { name: string; server: string; runner: Runner }[];
}

/**
 * One runner serving several servers or accounts at once (DESIGN.md section 5): a runner per
 * connection, each registering, claiming and reporting on its own, all of them claiming into one
 * pool of slots, so the global and per-agent limits hold across them and no connection starves
 * another. Its events are theirs, merged; a status event says which connection it is about.
 */
export function createRunnerGroup(options: RunnerGroupOptions): RunnerGroup {
  if (options.connections.length === 0) throw new TypeError('a runner group needs a connection');
  const names = new Set(options.connections.map((c) => c.name));
  if (names.size !== options.connections.length) throw new TypeError('connection names must differ');
  const slots = createSlotPool(options);
  const connections = options.connections.map((c) => ({
    name: c.name,
    server: c.server,
    runner: createRunner({ ...c.runner, capacity: options.capacity, slots }),
  }));
  const runners = connections.map((c) => c.runner);
  const events$ = merge(
    ...connections.map(({ name, runner }) =>
      runner.events$.pipe(
        map((event) => (event.type === 'runner.status' ? { ...event, connection: name } : event)),
      ),
    ),
  );
  const ownerOf = (attemptId: string) =>
    runners.find((runner) => runner.activeAttempts().some((a) => a.attemptId === attemptId));

  return {
    connections,
    events$,
    get runnerId() {
      return runners[0]!.runnerId;
    },
    /**
     * Every connection registers; one that cannot (a refused token, a server that is down) says
     * so in its events and the others go on. Rejects only when none could.
     */
    async start(): Promise<RegisterRunnerResponse> {
      const results = await Promise.allSettled(runners.map((runner) => runner.start()));
      const registered = results.find((r) => r.status === 'fulfilled');
      if (registered) return registered.value;
      throw (results[0] as PromiseRejectedResult).reason;
    },
    stop: async (stopOptions) => {
      await Promise.all(runners.map((runner) => runner.stop(stopOptions)));
    },
    checkSignIn: async () => (await Promise.all(runners.map((r) => r.checkSignIn()))).every(Boolean),
    hasInteraction: (interactionId) => runners.some((r) => r.hasInteraction(interactionId)),
    // An interaction nobody here asks is answered on the first server, as a lone runner does.
    answer: (interactionId, answer) =>
      (runners.find((r) => r.hasInteraction(interactionId)) ?? runners[0]!).answer(interactionId, answer),
    activeAttempts: () => runners.flatMap((runner) => runner.activeAttempts()),
    stopAttempt: (attemptId) => ownerOf(attemptId)?.stopAttempt(attemptId) ?? false,
  };
}
