import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { createCoordClient, type RunnerEvent } from '@coord/runner-core';
import type { JobView } from '@coord/runner-protocol';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { startTestRunner } from './helpers/runner.js';
import { eventually, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';

/** Every file under `dir`, read whole (what a runner or server left on disk). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(readFileSync(path, 'latin1'));
  }
  return out;
}

async function askForSecret() {
  const dir = tempDir('secret-questions');
  onCleanup(dir.cleanup);
  const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
  onCleanup(() => server.close());
  const spoolDir = join(dir.path, 'runner', 'attempts');
  const { runner, events } = await startTestRunner(server, dir.path, 'secret');
  const client = createCoordClient({ baseUrl: server.url, token: server.token });
  const job = await client.submitJob('local', {
    title: 'Use a key',
    instructions: 'Ask for the key, then check it.',
    context: { type: 'local' },
    agent: {
      id: 'demo',
      plan: [
        { type: 'ask', id: 'key', question: 'The deploy key?', secret: true },
        // The agent uses the key, says only whether it was right, and leaves no file of it behind.
        { type: 'write', path: 'key.txt', content: '{{answer:key}}' },
        { type: 'run', command: [process.execPath, '-e', checkKey] },
        // And it repeats the key in what it says, as an agent might: that is redacted.
        { type: 'say', text: 'the key was {{answer:key}}' },
      ],
    },
    routing: { mode: 'any' },
  });
  const requested = await firstValueFrom(
    events.pipe(
      filter(
        (e): e is Extract<RunnerEvent, { type: 'interaction.requested' }> =>
          e.type === 'interaction.requested',
      ),
    ),
  );
  expect(requested.request).toMatchObject({ kind: 'question', questions: [{ id: 'key', secret: true }] });
  const finish = async () => {
    const view = await eventually(async (): Promise<JobView | undefined> => {
      const j = await client.getJob(job.id);
      return j.status === 'done' || j.status === 'failed' ? j : undefined;
    }, 30_000);
    await runner.stop();
    await server.close();
    return view;
  };
  return { dir, server, runner, events, requested, finish, spoolDir };
}

const secret = 'dk-7Hq2LmX9vR4tW8zN1pB6y';
// Checked by its hash: the job itself must not hold the key.
const checkKey = `const fs = require('node:fs');
const hash = require('node:crypto').createHash('sha256').update(fs.readFileSync('key.txt')).digest('hex');
console.log(hash === '${createHash('sha256').update(secret).digest('hex')}' ? 'key ok' : 'key wrong');
fs.unlinkSync('key.txt');`;

describe('a secret question', () => {
  it('answered on the runner: the agent uses it, and no event, spool file or server file holds it', async () => {
    const { runner, requested, finish, dir, events } = await askForSecret();
    const outcome = await runner.answer(requested.interactionId, {
      kind: 'question',
      answers: { key: [secret] },
    });
    expect(outcome.won).toBe(true);
    const view = await finish();
    expect(view.status).toBe('done');
    const seen: RunnerEvent[] = [];
    events.subscribe((e) => seen.push(e)).unsubscribe();
    expect(JSON.stringify(seen)).toContain('key ok');
    expect(JSON.stringify(seen)).toContain('[secret]');
    expect(JSON.stringify(seen)).not.toContain(secret);
    for (const file of filesUnder(dir.path)) expect(file).not.toContain(secret);
  });

  it("answered on the web: the agent uses it, and once the job is done no file holds it, the server's included", async () => {
    const { server, requested, finish, dir, events } = await askForSecret();
    const web = await api(server, 'POST', `/v1/interactions/${requested.interactionId}/answer`, {
      answer: { kind: 'question', answers: { key: [secret] } },
      by: 'web',
    });
    expect(web.status).toBe(200);
    const view = await finish();
    expect(view.status).toBe('done');
    const seen: RunnerEvent[] = [];
    events.subscribe((e) => seen.push(e)).unsubscribe();
    expect(JSON.stringify(seen)).toContain('key ok');
    expect(JSON.stringify(seen)).not.toContain(secret);
    // The server relays it while the attempt runs, then keeps only the mask.
    for (const file of filesUnder(dir.path)) expect(file).not.toContain(secret);
  });
});
