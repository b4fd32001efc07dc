export { createDemoAgent, type DemoAgentOptions } from './demo/create-demo-agent.js';
export { demoDisplayName } from './demo/demo-task.js';
export { detectCli, parseVersion, type CliDetectorSpec, type DetectOptions } from './detect.js';
export {
  claudeCodeCli,
  codexCli,
  geminiCli,
  detectClaudeCode,
  detectCodex,
  detectGemini,
} from './detectors.js';
export { runAgentProcess, runShortCommand, type ShortCommandResult } from './process/run-agent-process.js';
export { stopLeftoverProcesses } from './process/escaped-processes.js';
export { buildAgentEnv } from './process/agent-env.js';
export { findExecutable } from './process/find-executable.js';
export { isAgentEvent, parseAgentEventLine } from './events/parse-agent-event.js';
export type {
  AgentLineParser,
  AgentProcessControl,
  AgentProcessOptions,
  AgentProcessSpec,
  AgentRunState,
} from './process/types.js';
export { createClaudeCodeAgent, type ClaudeCodeAgentOptions } from './claude/claude-agent.js';
export type { ClaudePermissionMode } from './claude/claude-args.js';
export {
  claudeInstallCommand,
  detectClaude,
  findClaudeBinary,
  type ClaudeDetection,
  type ClaudeDetectOptions,
} from './claude/claude-detect.js';
export { createCodexAgent, type CodexAgentOptions } from './codex/codex-agent.js';
export {
  codexInstallCommand,
  detectCodexCli,
  findCodexBinary,
  type CodexDetection,
  type CodexDetectOptions,
} from './codex/codex-detect.js';
export type { CodexProvider } from './codex/codex-home.js';
export { createAcpAgent, startAcpRun, type AcpAgentOptions, type AcpLaunch } from './acp/acp-agent.js';
export { acpProtocolVersion } from './acp/acp-session.js';
export { createGeminiAgent, type GeminiAgentOptions } from './gemini/gemini-agent.js';
export {
  detectGeminiCli,
  findGeminiProgram,
  geminiInstallCommand,
  type GeminiDetection,
  type GeminiDetectOptions,
  type GeminiProgram,
} from './gemini/gemini-detect.js';
export { withFallback } from './process/fallback-run.js';
