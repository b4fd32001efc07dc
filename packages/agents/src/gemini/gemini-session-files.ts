import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The minute Gemini 0.61 puts in a session file's name: UTC `YYYY-MM-DDTHH-MM`. */
function fileMinute(now: Date): string {
  return now.toISOString().slice(0, 16).replace(/:/g, '-');
}

/**
 * How long to wait before resuming `sessionId`, so the resume keeps its history. Gemini 0.61 names
 * a session file `session-<minute>-<first 8 chars of the id>.jsonl` and a process that loads a
 * session first starts a recording under the same scheme: a load within the minute the session's
 * file was named for overwrites the history it is about to read ("No previous sessions found",
 * verified in tests/agents). A retry seconds after a crash would hit that every time, so it
 * waits until the minute has turned (plus a second), and only when such a file exists.
 */
export function geminiResumeWaitMs(
  env: Readonly<Record<string, string | undefined>>,
  sessionId: string,
  now: Date,
): number {
  const home = env.GEMINI_CLI_HOME || env.HOME || os.homedir();
  const name = `session-${fileMinute(now)}-${sessionId.slice(0, 8)}`;
  const tmp = path.join(home, '.gemini', 'tmp');
  let projects: string[];
  try {
    projects = readdirSync(tmp);
  } catch {
    return 0;
  }
  const collides = projects.some((project) => {
    try {
      return readdirSync(path.join(tmp, project, 'chats')).some(
        (f) => f === `${name}.jsonl` || f === `${name}.json`,
      );
    } catch {
      return false;
    }
  });
  if (!collides) return 0;
  return 60_000 - (now.getTime() % 60_000) + 1_000;
}
