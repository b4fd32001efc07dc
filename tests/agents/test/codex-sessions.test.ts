import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeUsage, requestText } from '../src/fake-openai.js';
import { codexHarness, ofType } from './codex-harness.js';

/** The app-server process whose CODEX_HOME is under `homes` (found like `ps e` would). */
function pidOfCodexUnder(homes: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('app-server') && environ.some((v) => v.startsWith(`CODEX_HOME=${homes}/`)))
        return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no Codex runs under ${homes}`);
}

describe.skipIf(process.platform !== 'linux')('Codex sessions (real CLI, fake model)', () => {
  it('resumes a killed run on retry: same thread, and the model sees the history', async () => {
    const h = await codexHarness([{ kind: 'hang' }, { kind: 'text', text: 'Picked up where I left off.' }]);
    const first = h.start({ instructions: 'Rename the widget (marker-7731).' });
    const started = await first.until(ofType('session.started'));
    await h.fake.waitForModelRequests(1);
    // A crash, not a stop the runner asked for: Codex dies mid-turn.
    process.kill(pidOfCodexUnder(h.homes), 'SIGKILL');
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

  it('falls back to a fresh thread with a recap when Codex cannot resume', async () => {
    const h = await codexHarness([{ kind: 'text', text: 'Started over.' }]);
    const unknown = '01a23077-8258-7570-9bc4-d000e899537d';
    const { run, events } = h.start({ resumeSessionId: unknown, instructions: 'Fix it (marker-5120).' });
    const result = await run.result;

    expect(result.status).toBe('completed');
    expect(result.sessionId).not.toBe(unknown);
    expect(events.filter(ofType('session.started'))).toEqual([
      { type: 'session.started', sessionId: result.sessionId, model: 'mock-model', resumed: false },
    ]);
    expect(events.some((e) => e.type === 'warning' && e.message.includes('fresh Codex thread'))).toBe(true);
    const text = requestText(h.fake.modelRequests()[0]!);
    expect(text).toContain('marker-5120');
    expect(text).toContain('could not be resumed');
  });

  it('counts tokens once: the totals of two model calls, reasoning inside the output', async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'true' } },
      { kind: 'text', text: 'Done.' },
    ]);
    const { run, until } = h.start();
    run.respond((await until(ofType('approval.requested'))).requestId, {
      kind: 'approval',
      decision: 'allow_once',
    });
    const result = await run.result;
    expect(result.usage).toEqual({
      inputTokens: 2 * fakeUsage.input_tokens,
      outputTokens: 2 * fakeUsage.output_tokens,
      cachedInputTokens: 2 * fakeUsage.input_tokens_details.cached_tokens,
    });
  });

  it("reports a resumed thread's usage as the thread's totals: earlier runs included, once", async () => {
    const h = await codexHarness([
      { kind: 'text', text: 'First run.' },
      { kind: 'text', text: 'Second run.' },
    ]);
    const first = await h.start().run.result;
    expect(first.usage).toMatchObject({ inputTokens: fakeUsage.input_tokens });
    const second = h.start({ resumeSessionId: first.sessionId });
    const result = await second.run.result;
    // Codex restores the thread's totals on resume: the retry's figure is the whole thread's, so
    // the runner must take it as is (it reports the last run's usage), never add the runs up.
    expect(result.usage).toEqual({
      inputTokens: 2 * fakeUsage.input_tokens,
      outputTokens: 2 * fakeUsage.output_tokens,
      cachedInputTokens: 2 * fakeUsage.input_tokens_details.cached_tokens,
    });
  });

  it('fails the turn cleanly when the model API connection dies mid-answer', async () => {
    const h = await codexHarness([{ kind: 'die' }]);
    const { run, events } = h.start();
    const result = await run.result;
    expect(result).toMatchObject({ status: 'failed', error: { code: 'agent.failed', retryable: false } });
    expect(events.find(ofType('turn.completed'))).toMatchObject({ status: 'failed' });
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', sawTurnEnd: true });
  });

  it('finishes the turn when the connection dies and Codex may retry the stream', async () => {
    const h = await codexHarness(
      [{ kind: 'die' }, { kind: 'text', text: 'Second try worked.' }],
      {},
      { streamMaxRetries: 1 },
    );
    const { run } = h.start();
    expect(await run.result).toMatchObject({ status: 'completed', summary: 'Second try worked.' });
  });
});
