import { isAbsolute, resolve } from 'node:path';
import type { ToolKind } from '../agents/agent-event.js';

/** What a tool call would touch, as far as its input says: the commands it runs, the paths it uses. */
export interface ToolTargets {
  commands: string[];
  /** Absolute paths (relative ones resolved against the work dir). */
  paths: string[];
}

/** Input keys the agents use for a path: Claude (file_path, notebook_path, path), Codex and the demo (path). */
const PATH_KEYS = ['file_path', 'notebook_path', 'path', 'filePath'];

/**
 * Reads the targets out of a tool call's input, whatever the agent: a shell command is a string
 * (Claude's `command`, Codex's `bash -lc '…'`) or an argv array (the demo, Codex's `command`);
 * file tools name their path under one of a few keys; Codex file changes list `changes` by path.
 */
export function toolTargets(kind: ToolKind, input: unknown, workDir: string): ToolTargets {
  const fields = (input ?? {}) as Record<string, unknown>;
  const commands: string[] = [];
  const paths: string[] = [];
  const addPath = (value: unknown) => {
    if (typeof value === 'string' && value.length > 0)
      paths.push(isAbsolute(value) ? value : resolve(workDir, value));
  };
  const command = fields['command'] ?? fields['cmd'];
  if (typeof command === 'string') commands.push(command);
  else if (Array.isArray(command) && command.every((a) => typeof a === 'string'))
    commands.push(command.join(' '));
  for (const key of PATH_KEYS) addPath(fields[key]);
  const changes = fields['changes'];
  if (Array.isArray(changes)) for (const change of changes) addPath((change as { path?: unknown })?.path);
  else if (changes && typeof changes === 'object') for (const key of Object.keys(changes)) addPath(key);
  if (typeof input === 'string' && kind === 'shell') commands.push(input);
  const cwd = fields['cwd'] ?? fields['workdir'];
  if (typeof cwd === 'string' && commands.length > 0) addPath(cwd);
  return { commands, paths };
}
