import { join } from 'node:path';
import {
  createAcpAgent,
  createClaudeCodeAgent,
  createCodexAgent,
  createDemoAgent,
  createGeminiAgent,
} from '@coord/runner-agents';
import type { AgentPort } from '@coord/runner-core';
import type { AcpAgentConfig } from './config.js';

export interface AgentsOptions {
  stateDir: string;
  /** A Claude Code program to use instead of looking on PATH (a setting). */
  claudeCodePath?: string;
  /** A Codex program to use instead of looking on PATH (a setting). */
  codexPath?: string;
  /** A Gemini CLI program (the `gemini` shim or bundle/gemini.js) to use instead of looking on PATH. */
  geminiPath?: string;
  /** ACP agents from the config file, each registered as `acp:<name>`. */
  acpAgents?: readonly AcpAgentConfig[];
}

/**
 * Every agent this CLI can drive. Each is detected at start and on `coord-runner agents`: a runner
 * without the CLI registers it as not found (Codex on Windows as unsupported), and is offered no
 * job for it.
 */
export function createAgents(options: AgentsOptions): AgentPort[] {
  return [
    createDemoAgent(),
    createClaudeCodeAgent(
      options.claudeCodePath ? { detect: { configuredPath: options.claudeCodePath } } : {},
    ),
    createCodexAgent({
      // Per-job CODEX_HOMEs (sessions kept for a resume) live in the runner's state dir.
      homeBaseDir: join(options.stateDir, 'codex-homes'),
      ...(options.codexPath ? { detect: { configuredPath: options.codexPath } } : {}),
    }),
    createGeminiAgent(options.geminiPath ? { detect: { configuredPath: options.geminiPath } } : {}),
    ...(options.acpAgents ?? []).map((entry) =>
      createAcpAgent({
        id: `acp:${entry.name}`,
        command: entry.command,
        ...(entry.displayName ? { displayName: entry.displayName } : {}),
      }),
    ),
  ];
}
