import { randomUUID } from 'node:crypto';
import {
  registerSecret,
  type AgentEvent,
  type AgentDetection,
  type AgentPort,
  type AgentRun,
  type AgentRunInput,
} from '@coord/runner-core';
import { runAgentProcess } from '../process/run-agent-process.js';
import type { AgentProcessOptions } from '../process/types.js';
import { buildClaudeArgs, isSessionId, type ClaudePermissionMode } from './claude-args.js';
import { answerLine } from './claude-controls.js';
import { detectClaude, type ClaudeDetectOptions } from './claude-detect.js';
import { claudeEnv, claudeSecretNames } from './claude-env.js';
import { interruptRequestLine, userMessageLine } from './claude-messages.js';
import { createClaudeSession, parseClaudeLine, type ClaudeSession } from './claude-parser.js';
import { withFallback } from '../process/fallback-run.js';
import { continuePrompt, recapPrompt, taskPrompt } from '../process/agent-prompt.js';

export interface ClaudeCodeAgentOptions extends AgentProcessOptions {
  /** Tool calls that are not read-only ask a person in `default` (the default). */
  permissionMode?: ClaudePermissionMode;
  /** Where to look for the CLI (configured path, extra PATH, global node_modules). */
  detect?: Omit<ClaudeDetectOptions, 'parentEnv'>;
  /**
   * How long the CLI may take to exit once its turn has ended and stdin is closed, before it is
   * stopped (some versions hung after the result when piped: research/agent-protocols.md 6.2).
   */
  exitGraceMs?: number;
}

interface Launch {
  sessionId: string;
  resume: boolean;
  prompt: string;
}

/**
 * Claude Code, driven through its stream-json control protocol (research/agent-protocols.md 1.5):
 * the prompt and the answers to its permission asks go over stdin, its messages come back as JSON
 * lines. One turn per process: stdin closes at the turn's `result`, which is what ends the turn
 * (never the exit code). The session id is chosen here, before the process starts, so it is known
 * even if the CLI dies at once; a retry resumes it, and a resume the CLI rejects falls back to a
 * fresh session whose prompt carries a recap.
 */
export function createClaudeCodeAgent(options: ClaudeCodeAgentOptions = {}): AgentPort {
  const {
    permissionMode = 'default',
    detect: detectOptions = {},
    exitGraceMs = 10_000,
    ...processOptions
  } = options;
  const parentEnv = processOptions.parentEnv ?? process.env;
  let program: string | null = null;

  const launch = (input: AgentRunInput, how: Launch): { run: AgentRun; session: ClaudeSession } => {
    const session = createClaudeSession(how.resume);
    const env = claudeEnv(parentEnv, input.env);
    for (const name of claudeSecretNames) registerSecret(env[name]);
    const run = runAgentProcess(
      {
        agentId: 'claude-code',
        file: program ?? detectOptions.configuredPath ?? 'claude',
        args: buildClaudeArgs({
          sessionId: how.sessionId,
          resume: how.resume,
          permissionMode,
          model: input.agent.model,
        }),
        cwd: input.workDir,
        env: { ...(detectOptions.env ?? {}), ...env },
        stdin: 'pipe',
        sessionId: how.sessionId,
        initialInput: [userMessageLine(how.prompt)],
        parseLine: (line, _state, control) => {
          const parsed = parseClaudeLine(line, session);
          for (const reply of parsed.replies) control.writeLine(reply);
          // A rejected resume ends with a result but no turn: let the CLI exit.
          if (session.resumeRejected) control.closeStdin();
          return parsed.events;
        },
        respond: (requestId, answer, control) => {
          const pending = session.pending.get(requestId);
          if (!pending) return; // withdrawn by the CLI, or answered already
          session.pending.delete(requestId);
          const { line, denied } = answerLine(requestId, pending, answer);
          if (denied && pending.request.tool_use_id) session.denied.add(pending.request.tool_use_id);
          control.writeLine(line);
        },
        requestInterrupt: (control) => {
          session.interruptSent = true;
          if (!control.writeLine(interruptRequestLine(`interrupt-${randomUUID()}`)))
            control.signal('SIGTERM');
        },
        onEvent: (event: AgentEvent, control) => {
          // One turn per process: without EOF the CLI would wait for another user message.
          if (event.type !== 'turn.completed') return;
          control.closeStdin();
          // The turn is over and counted; a CLI that does not exit is stopped (a no-op once it
          // has), and the driver then ends its whole process group.
          setTimeout(() => control.signal('SIGTERM'), exitGraceMs).unref();
        },
      },
      processOptions,
    );
    return { run, session };
  };

  return {
    id: 'claude-code',
    displayName: 'Claude Code',
    async detect(): Promise<AgentDetection> {
      const { detected, file } = await detectClaude({ ...detectOptions, parentEnv });
      program = detected.state === 'detected' ? file : null;
      return { ...detected, path: program };
    },
    start(input: AgentRunInput): AgentRun {
      const fresh = (prompt: string): AgentRun =>
        launch(input, { sessionId: randomUUID(), resume: false, prompt }).run;
      const previous = input.resumeSessionId;
      if (!previous) return fresh(taskPrompt(input));
      if (!isSessionId(previous)) return fresh(recapPrompt(input, previous));
      const first = launch(input, { sessionId: previous, resume: true, prompt: continuePrompt(input) });
      // Adapter-level fallback: the runner sees one run (and one retry budget), and only this
      // adapter knows what a rejected resume looks like.
      return withFallback(
        first.run,
        () =>
          first.session.resumeRejected
            ? {
                type: 'warning',
                message: `Starting a fresh Claude Code session in place of ${previous}, with a recap of the earlier try.`,
              }
            : null,
        () => fresh(recapPrompt(input, previous)),
      );
    },
  };
}
