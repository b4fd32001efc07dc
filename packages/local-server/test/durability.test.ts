import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'tsup';
import { apiFor, runnerRequest, tempDir, jobSubmission } from './helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let outDir = '';

/** Builds the bin from the current sources (a few ms with esbuild), so the test never runs a stale dist. */
beforeAll(async () => {
  const cache = join(packageDir, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  outDir = mkdtempSync(join(cache, 'durability-'));
  await build({
    entry: { bin: join(packageDir, 'src/bin.ts') },
    outDir,
    format: ['esm'],
    target: 'node20',
    dts: false,
    silent: true,
    config: false,
    external: [/^[^./]/],
  });
}, 30_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

async function startBin(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(outDir, 'bin.js'), '--data-dir', dataDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 4_000);
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  expect(output).not.toMatch(/coord_[A-Za-z0-9_-]{20,}/); // the token is never printed
  return { child, url };
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('durability', () => {
  it('keeps every acknowledged write through kill -9 and a restart', async () => {
    const dataDir = tempDir();
    const first = await startBin(dataDir);
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    expect(statSync(join(dataDir, 'token')).mode & 0o777).toBe(0o600);
    const api = apiFor({ url: first.url, token } as never, token);

    const reg = await api('POST', '/v1/runners/register', runnerRequest({ capacity: 4 }));
    const runnerId = reg.body.runner.id;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api('POST', '/v1/workspaces/local/jobs', jobSubmission({ title: `job ${i}` }));
      expect(res.status).toBe(201);
      ids.push(res.body.job.id);
    }
    const claim = await api('POST', `/v1/runners/${runnerId}/claim`, { waitMs: 0 });
    const attemptId = claim.body.assignment.attempt.id;
    const events = [1, 2, 3].map((seq) => ({ seq, at: new Date().toISOString(), type: 't', data: { seq } }));
    expect((await api('POST', `/v1/attempts/${attemptId}/events`, { events }, { runnerId })).body.ack).toBe(
      3,
    );
    const art = await api('PUT', `/v1/attempts/${attemptId}/artifacts/out.txt`, undefined, {
      runnerId,
      raw: 'hello',
    });
    expect(art.status).toBe(200);
    await killHard(first.child);

    const second = await startBin(dataDir);
    try {
      const api2 = apiFor({ url: second.url, token } as never, token);
      const jobs = (await api2('GET', '/v1/jobs')).body.jobs;
      expect(jobs.map((j: { id: string }) => j.id)).toEqual(ids);
      expect(jobs[0].status).toBe('in_progress');
      expect(jobs[0].attempts[0].eventsAcked).toBe(3);
      // Same machine id, same runner id after the restart.
      expect(
        (await api2('POST', '/v1/runners/register', runnerRequest({ capacity: 4 }))).body.runner.id,
      ).toBe(runnerId);
      const page = (await api2('GET', `/v1/attempts/${attemptId}/events`)).body;
      expect(page.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
      const bytes = await fetch(`${second.url}/v1/attempts/${attemptId}/artifacts/out.txt`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await bytes.text()).toBe('hello');
      // The runner still holds its lease and can finish.
      const done = await api2(
        'POST',
        `/v1/attempts/${attemptId}/complete`,
        { outcome: 'succeeded', lastSeq: 3 },
        { runnerId },
      );
      expect(done.body.job.status).toBe('done');
    } finally {
      await new Promise<void>((resolve) => {
        second.child.once('exit', () => resolve());
        second.child.kill('SIGTERM');
      });
    }
    expect(second.child.exitCode).toBe(0);
  });
});
