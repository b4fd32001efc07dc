import type { AgentDetection, AgentEvent, AgentPort, AgentRun, AgentRunInput } from '@coord/runner-core';
import type { AgentId } from '@coord/runner-protocol';
import { buildAgentEnv, pathOf } from '../process/agent-env.js';
import { withFallback } from '../process/fallback-run.js';
import { findExecutable } from '../process/find-executable.js';
import { runAgentProcess } from '../process/run-agent-process.js';
import type { AgentProcessOptions } from '../process/types.js';
import { continuePrompt, recapPrompt, taskPrompt } from '../process/agent-prompt.js';
import { AcpSession } from './acp-session.js';

export interface AcpLaunch {
  agentId: AgentId;
  displayName: string;
  file: string;
  args: readonly string[];
  /** Added to the allowlisted environment: this agent's own credentials and settings only. */
  env: Readonly<Record<string, string>>;
  /** How long the agent may take to exit once its turn is over and stdin is closed. */
  exitGraceMs?: number;
  replayWaitMs?: number;
}

/**
 * One ACP run of a job: one process, one turn. Resume uses session/load; a load the agent rejects
 * (or cannot do) falls back to a fresh session whose prompt carries a recap, within the same run.
 */
export function startAcpRun(input: AgentRunInput, launch: AcpLaunch, options: AgentProcessOptions): AgentRun {
  const once = (resumeSessionId: string | null, prompt: string): { run: AgentRun; session: AcpSession } => {
    const session = new AcpSession({
      cwd: input.workDir,
      resumeSessionId,
      prompt,
      recapPrompt: recapPrompt(input, resumeSessionId ?? ''),
      agentName: launch.displayName,
      ...(launch.replayWaitMs === undefined ? {} : { replayWaitMs: launch.replayWaitMs }),
    });
    const run = runAgentProcess(
      {
        agentId: launch.agentId,
        file: launch.file,
        args: launch.args,
        cwd: input.workDir,
        env: launch.env,
        stdin: 'pipe',
        onSpawn: (control) => session.start(control),
        parseLine: (line) => {
          session.feed(line);
          return [];
        },
        respond: (requestId, answer) => session.respond(requestId, answer),
        requestInterrupt: () => session.cancel(),
        onEvent: (event: AgentEvent, control) => {
          if (event.type !== 'turn.completed') return;
          // One turn per process: EOF lets the agent exit (Gemini 0.61 exits 0 on it); one that
          // lingers is stopped, and the driver then ends its whole process group.
          control.closeStdin();
          setTimeout(() => control.signal('SIGTERM'), launch.exitGraceMs ?? 5000).unref();
        },
      },
      options,
    );
    return { run, session };
  };

  const previous = input.resumeSessionId;
  if (!previous) return once(null, taskPrompt(input)).run;
  const first = once(previous, continuePrompt(input));
  return withFallback(
    first.run,
    () =>
      first.session.resumeRejected
        ? {
            type: 'warning',
            message: `Starting a fresh ${launch.displayName} session in place of ${previous}, with a recap of the earlier try.`,
          }
        : null,
    () => once(null, recapPrompt(input, previous)).run,
  );
}

export interface AcpAgentOptions extends AgentProcessOptions {
  /** `acp:<name>`. */
  id: AgentId;
  displayName?: string;
  /** The agent's command line: the program (a path, or a name on PATH) and its arguments. No shell. */
  command: readonly [string, ...string[]];
  /** Environment for this agent only (its API key, base URL); redacted wherever text leaves. */
  env?: Readonly<Record<string, string>>;
  exitGraceMs?: number;
}

/**
 * Any agent that speaks ACP v1 on stdio, configured by its command line (e.g.
 * `createAcpAgent({ id: 'acp:foo', command: ['foo-acp', '--stdio'] })`). Detection only checks the
 * program exists: ACP has no version query before a session starts.
 */
export function createAcpAgent(options: AcpAgentOptions): AgentPort {
  const { id, displayName = id, command, env = {}, exitGraceMs, ...processOptions } = options;
  if (!id.startsWith('acp:')) throw new Error(`an ACP agent's id must start with "acp:" (got ${id})`);
  const parentEnv = processOptions.parentEnv ?? process.env;
  const [file, ...args] = command;
  return {
    id,
    displayName,
    async detect(): Promise<AgentDetection> {
      const agentEnv = buildAgentEnv(parentEnv, env);
      const found = await findExecutable(file, { path: pathOf(agentEnv) });
      return found
        ? { id, state: 'detected', version: null, enabled: true, path: found }
        : { id, state: 'not_found', version: null, enabled: false, hint: `No program "${file}" on PATH.` };
    },
    start(input: AgentRunInput): AgentRun {
      return startAcpRun(
        input,
        {
          agentId: id,
          displayName,
          file,
          args,
          env: { ...env, ...input.env },
          ...(exitGraceMs === undefined ? {} : { exitGraceMs }),
        },
        processOptions,
      );
    },
  };
}
