import type { DetectedAgent } from '@coord/runner-protocol';
import { detectClaude, type ClaudeDetectOptions } from './claude/claude-detect.js';
import { detectCodexCli, type CodexDetectOptions } from './codex/codex-detect.js';
import type { CliDetectorSpec } from './detect.js';
import { detectGeminiCli, type GeminiDetectOptions } from './gemini/gemini-detect.js';

// The generic specs; Claude Code, Codex and Gemini CLI have detectors of their own.

export const claudeCodeCli: CliDetectorSpec = {
  id: 'claude-code',
  binary: 'claude',
  platforms: ['darwin', 'linux', 'win32'],
};
/** Codex does not support Windows (DESIGN section 1). */
export const codexCli: CliDetectorSpec = { id: 'codex', binary: 'codex', platforms: ['darwin', 'linux'] };
export const geminiCli: CliDetectorSpec = {
  id: 'gemini',
  binary: 'gemini',
  platforms: ['darwin', 'linux', 'win32'],
};

/** Claude Code has a detector of its own: native binary resolution and a minimum version. */
export const detectClaudeCode = async (options?: ClaudeDetectOptions): Promise<DetectedAgent> =>
  (await detectClaude(options)).detected;
/** Codex too: the native binary behind the npm shim, and a minimum version. */
export const detectCodex = async (options?: CodexDetectOptions): Promise<DetectedAgent> =>
  (await detectCodexCli(options)).detected;
/** Gemini CLI too: its npm bin is a Node script, started with Node rather than through a shim. */
export const detectGemini = async (options?: GeminiDetectOptions): Promise<DetectedAgent> =>
  (await detectGeminiCli(options)).detected;
