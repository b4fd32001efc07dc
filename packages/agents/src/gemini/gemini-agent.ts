import {
  registerSecret,
  type AgentDetection,
  type AgentPort,
  type AgentRun,
  type AgentRunInput,
} from '@coord/runner-core';
import { startAcpRun } from '../acp/acp-agent.js';
import { startAfter } from '../process/deferred-run.js';
import type { AgentProcessOptions } from '../process/types.js';
import { detectGeminiCli, type GeminiDetectOptions, type GeminiProgram } from './gemini-detect.js';
import { geminiEnv, geminiSecretNames, withoutRepositoryAuth } from './gemini-env.js';
import { geminiResumeWaitMs } from './gemini-session-files.js';

export interface GeminiAgentOptions extends AgentProcessOptions {
  /** Where to look for the CLI (configured path, extra PATH, global node_modules). */
  detect?: Omit<GeminiDetectOptions, 'parentEnv'>;
  /**
   * The model when the job names none. A concrete model also skips the `auto` router's extra
   * classifier call per turn.
   */
  model?: string;
  exitGraceMs?: number;
}

/** A model name passed as one `--model=` argument; anything odd is not passed at all. */
const modelPattern = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/**
 * Gemini CLI through its ACP mode (`gemini --acp`, research/agent-protocols.md 3.2) on the
 * generic ACP client: permission requests, session/cancel, session/load to resume.
 *
 * Auth: in ACP mode 0.61 picks it from the environment (GEMINI_API_KEY; Vertex with
 * GOOGLE_GENAI_USE_VERTEXAI; GOOGLE_GEMINI_BASE_URL with a key counts as its "gateway") or from
 * the person's own settings (a Google sign-in). The client never calls ACP `authenticate`: with a
 * method other than the person's selected one, Gemini deletes their cached Google credentials.
 * A per-run settings file is no way out either: Gemini reads system settings only from root-owned
 * files in directories nobody else can write.
 *
 * Every job runs over ACP, unattended or not; `gemini -p -o stream-json` is not used. Headless,
 * tools run only under a privileged approval mode, which 0.61 refuses in an untrusted folder
 * ("Approval mode overridden to default"), and trusting the work tree would let the repository's
 * own .gemini/settings.json add hooks and MCP servers. `yolo` would also bypass the runner's
 * policy, which must see every call (dangerous ones are never auto-approved). Over ACP the policy
 * answers each permission request, automatically or through a person.
 */
export function createGeminiAgent(options: GeminiAgentOptions = {}): AgentPort {
  const { detect: detectOptions = {}, model: defaultModel, exitGraceMs, ...processOptions } = options;
  const parentEnv = processOptions.parentEnv ?? process.env;
  let program: GeminiProgram | null = null;

  return {
    id: 'gemini',
    displayName: 'Gemini CLI',
    async detect(): Promise<AgentDetection> {
      const { detected, program: found } = await detectGeminiCli({ ...detectOptions, parentEnv });
      program = detected.state === 'detected' ? found : null;
      // The script itself, when Node runs it: that is what a person would look for.
      return { ...detected, path: program ? (program.prefixArgs[0] ?? program.file) : null };
    },
    start(input: AgentRunInput): AgentRun {
      const env = withoutRepositoryAuth(geminiEnv(parentEnv, input.env), input.workDir, parentEnv.HOME);
      for (const name of geminiSecretNames) registerSecret(env[name]);
      const model = input.agent.model ?? defaultModel;
      const launch = (): AgentRun =>
        startAcpRun(
          input,
          {
            agentId: 'gemini',
            displayName: 'Gemini CLI',
            file: program?.file ?? detectOptions.configuredPath ?? 'gemini',
            args: [
              ...(program?.prefixArgs ?? []),
              '--acp',
              ...(model && modelPattern.test(model) ? [`--model=${model}`] : []),
            ],
            env: { ...(detectOptions.env ?? {}), ...env },
            ...(exitGraceMs === undefined ? {} : { exitGraceMs }),
          },
          processOptions,
        );
      const resume = input.resumeSessionId;
      const processEnv = { ...parentEnv, ...(detectOptions.env ?? {}), ...env };
      const waitMs = resume ? geminiResumeWaitMs(processEnv, resume, new Date()) : 0;
      return startAfter(
        waitMs,
        {
          type: 'warning',
          message: `Resuming Gemini CLI session ${resume} in ${Math.ceil(waitMs / 1000)} s: resumed within the minute it was saved, Gemini 0.61 would lose its history.`,
        },
        resume ?? null,
        launch,
      );
    },
  };
}
