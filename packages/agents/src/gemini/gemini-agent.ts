import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  registerSecret,
  type AgentDetection,
  type AgentPort,
  type AgentRun,
  type AgentRunInput,
} from '@coord/runner-core';
import { startAcpRun } from '../acp/acp-agent.js';
import type { AgentProcessOptions } from '../process/types.js';
import { detectGeminiCli, type GeminiDetectOptions, type GeminiProgram } from './gemini-detect.js';
import { geminiAuthType, geminiEnv, geminiSecretNames } from './gemini-env.js';

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
 * generic ACP client: permission requests, session/cancel, session/load to resume. Each run gets
 * a small settings dir of its own (system defaults: the auth type for configured credentials),
 * removed when the run ends.
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
      const settingsDir = mkdtempSync(path.join(tmpdir(), 'coord-gemini-'));
      const base = geminiEnv(parentEnv, input.env);
      const authType = geminiAuthType(base);
      const defaultsPath = path.join(settingsDir, 'system-defaults.json');
      writeFileSync(
        defaultsPath,
        JSON.stringify(authType ? { security: { auth: { selectedType: authType } } } : {}),
        { mode: 0o600 },
      );
      const env = geminiEnv(parentEnv, input.env, defaultsPath);
      for (const name of geminiSecretNames) registerSecret(env[name]);
      const model = input.agent.model ?? defaultModel;
      const run = startAcpRun(
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
      void run.result.finally(() => rmSync(settingsDir, { recursive: true, force: true }));
      return run;
    },
  };
}
