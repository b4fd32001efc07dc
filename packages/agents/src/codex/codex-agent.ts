import {
  redactSecrets,
  registerSecret,
  type AgentEvent,
  type AgentDetection,
  type AgentPort,
  type AgentRun,
  type AgentRunInput,
} from '@coord/runner-core';
import { continuePrompt, recapPrompt, taskPrompt } from '../process/agent-prompt.js';
import { withFallback } from '../process/fallback-run.js';
import { runAgentProcess } from '../process/run-agent-process.js';
import { settledRun } from '../process/settled-run.js';
import type { AgentProcessOptions } from '../process/types.js';
import { respondTo } from './codex-controls.js';
import { detectCodexCli, type CodexDetectOptions } from './codex-detect.js';
import { codexEnv, codexSecretNames, providerFromEnv } from './codex-env.js';
import {
  defaultCodexHomeBase,
  prepareCodexHome,
  pruneCodexHomes,
  userCodexHome,
  type CodexHome,
  type CodexProvider,
} from './codex-home.js';
import { openingLines, parseCodexLine } from './codex-parser.js';
import { createCodexSession, interruptLine, type CodexSession } from './codex-session.js';

export interface CodexAgentOptions extends AgentProcessOptions {
  /** Where to look for the CLI (configured path, extra PATH, global node_modules). */
  detect?: Omit<CodexDetectOptions, 'parentEnv'>;
  /**
   * A model provider of the runner's settings (else one from OPENAI_BASE_URL); without one,
   * Codex uses the user's own sign-in (`codex login`).
   */
  provider?: CodexProvider;
  /** Where the per-job CODEX_HOMEs live (default: a coord-runner-codex dir under /var/tmp). */
  homeBaseDir?: string;
}

/** Codex thread ids are UUIDs (v7); anything else (from a server, a file) is not passed on. */
const threadIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Launch {
  resumeThreadId: string | null;
  prompt: string;
}

/**
 * Codex, driven through `codex app-server` (JSON-RPC over stdio; research/agent-protocols.md
 * 2.2): one thread per job, one turn per process. The thread id is the session: reported as soon
 * as `thread/start` answers, so the runner saves it before the turn can crash; a retry resumes it
 * with `thread/resume`, and a resume Codex rejects falls back to a fresh thread whose prompt
 * carries a recap. Approvals and questions are Codex's server requests, answered by id.
 */
export function createCodexAgent(options: CodexAgentOptions = {}): AgentPort {
  const { detect: detectOptions = {}, homeBaseDir, ...processOptions } = options;
  const parentEnv = processOptions.parentEnv ?? process.env;
  const provider = options.provider ?? providerFromEnv(parentEnv);
  let program: string | null = null;

  const launch = (input: AgentRunInput, how: Launch): { run: AgentRun; session: CodexSession } => {
    const session = createCodexSession({
      cwd: input.workDir,
      prompt: how.prompt,
      resumeThreadId: how.resumeThreadId,
      model: input.agent.model,
    });
    let home: CodexHome;
    try {
      home = prepareCodexHome({
        baseDir: homeBaseDir ?? defaultCodexHomeBase(),
        jobId: input.jobId,
        workDir: input.workDir,
        userHome: userCodexHome(parentEnv),
        provider,
        model: input.agent.model,
      });
    } catch (error) {
      const run = settledRun({
        code: 'agent.spawn_failed',
        message: redactSecrets(`Could not prepare a CODEX_HOME for the Codex agent: ${String(error)}`),
        retryable: false,
      });
      return { run, session };
    }
    const env = codexEnv(parentEnv, {
      codexHome: home.dir,
      providerEnvKey: provider?.envKey,
      jobEnv: input.env,
    });
    for (const name of codexSecretNames(provider?.envKey)) registerSecret(env[name]);
    const run = runAgentProcess(
      {
        agentId: 'codex',
        file: program ?? detectOptions.configuredPath ?? 'codex',
        args: ['app-server'],
        cwd: input.workDir,
        env: { ...(detectOptions.env ?? {}), ...env },
        stdin: 'pipe',
        initialInput: openingLines(session),
        parseLine: (line, _state, control) => {
          const parsed = parseCodexLine(line, session);
          for (const reply of parsed.replies) control.writeLine(reply);
          // A rejected resume, or a stop before any turn: nothing more to do in this process.
          if (
            session.resumeRejected ||
            (session.interruptWanted && session.threadId && !session.turnRequested)
          )
            control.closeStdin();
          return parsed.events;
        },
        respond: (requestId, answer, control) => {
          for (const line of respondTo(session, requestId, answer)) control.writeLine(line);
        },
        requestInterrupt: (control) => {
          const line = interruptLine(session);
          if (line) control.writeLine(line);
          // No turn asked for: none will be now, and EOF ends app-server. (One asked for but not
          // yet answered is interrupted as soon as its id arrives.)
          else if (!session.turnRequested) control.closeStdin();
        },
        onEvent: (event: AgentEvent, control) => {
          // One turn per process: app-server exits when its stdin closes.
          if (event.type === 'turn.completed') control.closeStdin();
        },
      },
      processOptions,
    );
    void run.result.finally(() => home.cleanup());
    return { run, session };
  };

  return {
    id: 'codex',
    displayName: 'Codex',
    async detect(): Promise<AgentDetection> {
      // Detection runs at start and on a rescan: a good time to drop homes of long-gone jobs.
      pruneCodexHomes(homeBaseDir ?? defaultCodexHomeBase());
      const { detected, file } = await detectCodexCli({ ...detectOptions, parentEnv });
      program = detected.state === 'detected' ? file : null;
      return { ...detected, path: program };
    },
    start(input: AgentRunInput): AgentRun {
      const fresh = (prompt: string): AgentRun => launch(input, { resumeThreadId: null, prompt }).run;
      const previous = input.resumeSessionId;
      if (!previous) return fresh(taskPrompt(input));
      if (!threadIdPattern.test(previous)) return fresh(recapPrompt(input, previous));
      const first = launch(input, { resumeThreadId: previous, prompt: continuePrompt(input) });
      return withFallback(
        first.run,
        () =>
          first.session.resumeRejected
            ? {
                type: 'warning',
                message: `Starting a fresh Codex thread in place of ${previous}, with a recap of the earlier try.`,
              }
            : null,
        () => fresh(recapPrompt(input, previous)),
      );
    },
  };
}
