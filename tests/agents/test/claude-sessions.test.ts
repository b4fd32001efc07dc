import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestText } from '../src/fake-anthropic.js';
import { claudeHarness, ofType } from './harness.js';

/** Where Claude Code keeps a session's transcript: under HOME, keyed by the working directory. */
const transcriptOf = (home: string, workDir: string, sessionId: string) =>
  path.join(home, '.claude', 'projects', workDir.replace(/[^A-Za-z0-9]/g, '-'), `${sessionId}.jsonl`);

/** The CLI process running a session (found like `ps` would: by its command line). */
function pidOfSession(sessionId: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`--session-id=${sessionId}`))
        return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process runs session ${sessionId}`);
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(process.platform !== 'linux')('Claude Code sessions (real CLI, fake model)', () => {
  it('resumes a killed run on retry: same session, same directory, and the model sees the history', async () => {
    const h = await claudeHarness([{ kind: 'hang' }, { kind: 'text', text: 'Picked up where I left off.' }]);
    const first = h.start({ instructions: 'Rename the widget (marker-7731).' });
    const started = await first.until(ofType('session.started'));
    await h.fake.waitForModelRequests(1);
    // Killed once the CLI has saved the prompt: what a crash later in a turn would leave.
    const transcript = transcriptOf(h.home, h.workDir, started.sessionId);
    await until(() => existsSync(transcript) && readFileSync(transcript, 'utf8').includes('marker-7731'));
    // A crash, not a stop the runner asked for: the CLI dies mid-turn.
    process.kill(pidOfSession(started.sessionId), 'SIGKILL');
    const killed = await first.run.result;
    expect(killed).toMatchObject({ status: 'failed', sessionId: started.sessionId });
    expect(killed.error).toMatchObject({ code: 'agent.crashed', retryable: true });

    const retry = h.start({ resumeSessionId: killed.sessionId });
    const result = await retry.run.result;
    expect(result).toMatchObject({
      status: 'completed',
      sessionId: started.sessionId,
      summary: 'Picked up where I left off.',
    });
    expect(retry.events.find(ofType('session.started'))).toMatchObject({
      sessionId: started.sessionId,
      resumed: true,
    });
    const resumed = requestText(h.fake.modelRequests()[1]!);
    expect(resumed).toContain('marker-7731');
    expect(resumed).toContain('Continue where you left off');
  });

  it('falls back to a fresh session with a recap when the CLI cannot resume', async () => {
    const h = await claudeHarness([{ kind: 'text', text: 'Started over.' }]);
    const unknown = '0b7e3a52-5d5c-4c3e-9a51-6f2d9d0c1e42';
    const { run, events } = h.start({ resumeSessionId: unknown, instructions: 'Fix it (marker-5120).' });
    const result = await run.result;

    expect(result.status).toBe('completed');
    expect(result.sessionId).not.toBe(unknown);
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events.filter(ofType('session.started'))).toEqual([
      { type: 'session.started', sessionId: result.sessionId, model: expect.any(String), resumed: false },
    ]);
    expect(events.some((e) => e.type === 'warning' && e.message.includes('fresh Claude Code session'))).toBe(
      true,
    );
    const text = requestText(h.fake.modelRequests()[0]!);
    expect(text).toContain('marker-5120');
    expect(text).toContain('could not be resumed');
    expect(text).toContain(unknown);
  });
});
