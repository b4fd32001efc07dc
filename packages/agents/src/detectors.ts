import type { DetectedAgent } from '@coord/runner-protocol';
import { detectClaude, type ClaudeDetectOptions } from './claude/claude-detect.js';
import { detectCli, type CliDetectorSpec, type DetectOptions } from './detect.js';

// Detection only: the full adapters for these CLIs come later (research/agent-protocols.md 5.1).

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
export const detectCodex = (options?: DetectOptions): Promise<DetectedAgent> => detectCli(codexCli, options);
export const detectGemini = (options?: DetectOptions): Promise<DetectedAgent> =>
  detectCli(geminiCli, options);
