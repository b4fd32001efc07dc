import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { geminiHarness } from './harness.js';

describe('Gemini CLI ignores a repository .env (real CLI, fake model)', () => {
  it('a repository cannot supply the API key the job runs with', async () => {
    const h = await geminiHarness([{ kind: 'text', text: 'Hello.' }], {
      parentEnv: { GEMINI_API_KEY: undefined },
    });
    await writeFile(path.join(h.workDir, '.env'), 'GEMINI_API_KEY=repo-supplied-key\n');
    const { run } = h.start();
    await run.result;
    // Without the guard, 0.61 sent this key to the model API (checked by hand): the folder is
    // untrusted, but auth variables are read from a .env anyway.
    const keys = h.fake.requests.map((r) => r.headers['x-goog-api-key']);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys).not.toContain('repo-supplied-key');
  });
});
