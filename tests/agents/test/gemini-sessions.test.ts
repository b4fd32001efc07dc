import { randomUUID } from 'node:crypto';
import { readdir, readFile, readlink, rename } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { geminiRequestText } from '../src/fake-gemini.js';
import { geminiHarness, ofType } from './harness.js';

/**
 * Gemini 0.61 names a session file by the minute it started and the session id's first 8 chars,
 * and a process that loads a session starts a recording under that same name: a load within the
 * minute of the original start overwrites the history it is about to read ("No previous sessions
 * found"). Real resumes come minutes later; tests move the files back an hour to be like them.
 */
async function ageSessionFiles(home: string): Promise<void> {
  const tmp = path.join(home, '.gemini', 'tmp');
  for (const project of await readdir(tmp)) {
    const chats = path.join(tmp, project, 'chats');
    for (const file of await readdir(chats).catch(() => [])) {
      const aged = file.replace(
        /T(\d\d)-(\d\d)-/,
        (_m, h: string, m: string) => `T${String((Number(h) + 23) % 24).padStart(2, '0')}-${m}-`,
      );
      await rename(path.join(chats, file), path.join(chats, aged));
    }
  }
}

/** The Gemini CLI processes working in `dir` (Linux /proc): the runner's process table. */
async function cliPids(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [cmdline, cwd] = await Promise.all([
      readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => ''),
      readlink(`/proc/${entry}/cwd`).catch(() => ''),
    ]);
    if (cwd === dir && cmdline.includes('gemini.js')) pids.push(Number(entry));
  }
  return pids;
}

describe('Gemini CLI interrupts and sessions (real CLI over ACP, fake model)', () => {
  it('ends the turn `interrupted` on interrupt while the model streams, and nothing keeps running', async () => {
    const h = await geminiHarness([{ kind: 'hang' }]);
    const { run, until, events } = h.start();
    await h.fake.waitForModelRequests(1);
    await until(ofType('message.delta'));
    await run.interrupt(10_000);
    const result = await run.result;
    expect(result).toMatchObject({ status: 'interrupted', error: null });
    expect(events.find(ofType('turn.completed'))).toMatchObject({ status: 'interrupted' });
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', sawTurnEnd: true });
    expect(await cliPids(h.workDir)).toEqual([]);
  });

  it('withdraws a pending approval on interrupt (answered `cancelled`, so the prompt returns)', async () => {
    const h = await geminiHarness([
      { kind: 'tool', name: 'run_shell_command', args: { command: 'sleep 30' } },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    await run.interrupt(10_000);
    expect((await run.result).status).toBe('interrupted');
    expect(events.find(ofType('request.withdrawn'))).toMatchObject({ requestId: asked.requestId });
    expect(events.find(ofType('turn.completed'))).toMatchObject({ status: 'interrupted' });
  });

  it('denies and interrupts the turn when nobody answers in time (no ask-deny loop)', async () => {
    const h = await geminiHarness([
      { kind: 'tool', name: 'run_shell_command', args: { command: 'echo late > late.txt' } },
      { kind: 'tool', name: 'run_shell_command', args: { command: 'echo again > late.txt' } },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'timeout' });
    expect((await run.result).status).toBe('interrupted');
    expect(events.filter(ofType('approval.requested'))).toHaveLength(1);
  });

  it(
    'resumes a run killed seconds ago with session/load: the model sees the earlier history',
    { timeout: 120_000 },
    async () => {
      const h = await geminiHarness([
        { kind: 'tool', name: 'run_shell_command', args: { command: 'echo first-step > step.txt' } },
        { kind: 'hang' },
        { kind: 'text', text: 'Finished after the resume.' },
      ]);
      const first = h.start();
      const asked = await first.until(ofType('approval.requested'));
      first.run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
      await h.fake.waitForModelRequests(2);
      // A crash, not a stop: the CLI dies under the runner (SIGKILL from outside).
      const pids = await cliPids(h.workDir);
      expect(pids.length).toBeGreaterThan(0);
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      const killed = await first.run.result;
      expect(killed).toMatchObject({ status: 'failed', error: { code: 'agent.crashed', retryable: true } });
      expect(killed.sessionId).toBeTruthy();

      // Resumed at once, as an in-place retry does: within the minute its file is named for, the
      // adapter waits for the minute to turn rather than let Gemini overwrite the history.
      const second = h.start({ resumeSessionId: killed.sessionId, attemptNumber: 2 });
      const result = await second.run.result;
      expect(result).toMatchObject({ status: 'completed', summary: 'Finished after the resume.' });
      expect(second.events.find(ofType('session.started'))).toMatchObject({
        sessionId: killed.sessionId,
        resumed: true,
      });
      const resumed = geminiRequestText(h.fake.modelRequests()[2]!);
      expect(resumed).toContain('echo first-step > step.txt');
      expect(resumed).toContain('continues your earlier session');
    },
  );

  it('starts a fresh session with a recap when the session to resume is unknown', async () => {
    const h = await geminiHarness([{ kind: 'text', text: 'Started over.' }]);
    const previous = randomUUID();
    const { run, events } = h.start({ resumeSessionId: previous });
    const result = await run.result;
    expect(result).toMatchObject({ status: 'completed', summary: 'Started over.' });
    expect(result.sessionId).not.toBe(previous);
    expect(
      events
        .filter(ofType('warning'))
        .map((w) => w.message)
        .join('\n'),
    ).toContain(previous);
    expect(geminiRequestText(h.fake.modelRequests()[0]!)).toContain('Recap of earlier tries');
  });

  it('a question ends the turn as text; its answer reaches the model in the resumed session', async () => {
    const h = await geminiHarness([
      { kind: 'text', text: 'Which colour should the button be?' },
      { kind: 'text', text: 'Made it blue.' },
    ]);
    const asking = h.start();
    const asked = await asking.run.result;
    await ageSessionFiles(h.home);
    // ACP gives Gemini no question tool (ask_user is not offered): the question is the turn's text.
    expect(asked).toMatchObject({ status: 'completed', summary: 'Which colour should the button be?' });

    const answered = h.start({
      resumeSessionId: asked.sessionId,
      instructions: 'Do what the fake model says.\n\nAnswer to your question: blue.',
      attemptNumber: 2,
    });
    const answeredResult = await answered.run.result;
    expect(answeredResult.summary).toBe('Made it blue.');
    const text = geminiRequestText(h.fake.modelRequests()[1]!);
    expect(text).toContain('Which colour should the button be?');
    expect(text).toContain('Answer to your question: blue.');
  });

  it('finishes the turn when the model API connection dies mid-answer (the CLI retries)', async () => {
    const h = await geminiHarness([{ kind: 'die' }, { kind: 'text', text: 'Second try worked.' }]);
    const { run, events } = h.start();
    const result = await run.result;
    expect(result).toMatchObject({ status: 'completed', summary: 'Second try worked.' });
    expect(h.fake.modelRequests()).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', sawTurnEnd: true });
  });

  it('fails the turn cleanly with the API error when the model API refuses the request', async () => {
    const h = await geminiHarness([{ kind: 'error', status: 400, message: 'model says no: bad request' }]);
    const { run, events } = h.start();
    const result = await run.result;
    expect(result).toMatchObject({ status: 'failed', error: { code: 'agent.failed' } });
    expect(result.error?.message).toContain('model says no');
    expect(result.error?.message).not.toContain('gemini-test-dummy-key');
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', sawTurnEnd: true });
  });
});
