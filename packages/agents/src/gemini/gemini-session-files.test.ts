import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { geminiResumeWaitMs } from './gemini-session-files.js';

const id = '3f9a1c2e-0000-4000-8000-000000000000';

function homeWith(file: string | null, project = 'my-repo-1a2b'): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'gemini-home-'));
  const chats = path.join(home, '.gemini', 'tmp', project, 'chats');
  mkdirSync(chats, { recursive: true });
  if (file) writeFileSync(path.join(chats, file), '{}\n');
  return home;
}

describe('geminiResumeWaitMs', () => {
  const now = new Date('2026-12-01T09:41:20.500Z');

  it('waits until the next minute (plus a second) when the session file is named for this minute', () => {
    const home = homeWith('session-2026-12-01T09-41-3f9a1c2e.jsonl');
    expect(geminiResumeWaitMs({ HOME: home }, id, now)).toBe(40_500);
  });

  it('looks in GEMINI_CLI_HOME before HOME, and in every project', () => {
    const home = homeWith('session-2026-12-01T09-41-3f9a1c2e.json', 'other-project');
    expect(geminiResumeWaitMs({ GEMINI_CLI_HOME: home, HOME: '/nonexistent' }, id, now)).toBe(40_500);
  });

  it('resumes at once when the file is from an earlier minute, another session, or absent', () => {
    expect(geminiResumeWaitMs({ HOME: homeWith('session-2026-12-01T09-40-3f9a1c2e.jsonl') }, id, now)).toBe(
      0,
    );
    expect(geminiResumeWaitMs({ HOME: homeWith('session-2026-12-01T09-41-aaaaaaaa.jsonl') }, id, now)).toBe(
      0,
    );
    expect(geminiResumeWaitMs({ HOME: homeWith(null) }, id, now)).toBe(0);
    expect(geminiResumeWaitMs({ HOME: '/nonexistent' }, id, now)).toBe(0);
  });
});
