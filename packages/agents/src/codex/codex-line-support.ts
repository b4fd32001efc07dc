import path from 'node:path';
import type { AgentEvent } from '@coord/runner-core';
import type { z } from 'zod';
import type { CodexFileChange } from './codex-messages.js';
import type { CodexSession } from './codex-session.js';

// What the parser and its request handlers share: the parsed line, strict parsing, one-time warnings.

export interface ParsedLine {
  events: AgentEvent[];
  /** Lines to write to the app-server's stdin (our next request, refusals of what we do not do). */
  replies: string[];
}

const maxToolOutput = 64 * 1024;
export const clip = (text: string, max = maxToolOutput): string =>
  text.length > max ? `${text.slice(0, max)}…` : text;

export function parseStrict<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `unexpected ${what} (${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'})`,
    );
  }
  return parsed.data;
}

export function warnOnce(session: CodexSession, key: string, message: string): AgentEvent[] {
  if (session.warned.has(key)) return [];
  session.warned.add(key);
  return [{ type: 'warning', message }];
}

const relative = (cwd: string, file: string): string => {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
};

export function changesSummary(cwd: string, changes: CodexFileChange[]): string {
  if (changes.length === 0) return 'file changes';
  return changes.map((c) => `${c.kind.type} ${relative(cwd, c.path)}`).join(', ');
}
