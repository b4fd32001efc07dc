import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAcpAgent } from '@coord/runner-agents';
import { describe, expect, it } from 'vitest';
import { startFakeGemini } from '../src/fake-gemini.js';
import { geminiTestModel, ofType, record, tempDir } from './harness.js';

const geminiScript = fileURLToPath(
  new URL('../node_modules/@google/gemini-cli/bundle/gemini.js', import.meta.url),
);

describe('any ACP agent by its command line (Gemini CLI as acp:gemini-test)', () => {
  it('detects the program, asks for approval, runs the command and ends the turn', async () => {
    const fake = await startFakeGemini([
      { kind: 'tool', name: 'run_shell_command', args: { command: 'echo generic > generic.txt' } },
      { kind: 'text', text: 'Generic done.' },
    ]);
    try {
      const home = await tempDir('coord-acp-home-');
      const workDir = await tempDir('coord-acp-work-');
      const agent = createAcpAgent({
        id: 'acp:gemini-test',
        displayName: 'Gemini (generic ACP)',
        command: [process.execPath, geminiScript, '--acp', `--model=${geminiTestModel}`],
        env: {
          GEMINI_API_KEY: 'acp-test-dummy-key',
          GOOGLE_GEMINI_BASE_URL: fake.url,
          GEMINI_CLI_NO_RELAUNCH: 'true',
          GEMINI_CLI_TRUST_WORKSPACE: 'false',
        },
        parentEnv: { PATH: '/usr/bin:/bin', HOME: home, COORD_TOKEN: 'runner-secret-token' },
        termGraceMs: 2000,
        timeoutMs: 60_000,
      });
      expect(await agent.detect()).toMatchObject({ id: 'acp:gemini-test', state: 'detected' });
      const { run, until, events } = record(
        agent.start({
          jobId: 'job-1',
          attemptId: 'attempt-1',
          attemptNumber: 1,
          title: 'Generic job',
          instructions: 'Do what the fake model says.',
          workDir,
          agent: { id: 'acp:gemini-test' },
          resumeSessionId: null,
          protectedPaths: [],
          env: {},
        }),
      );
      const asked = await until(ofType('approval.requested'));
      run.respond(asked.requestId, { kind: 'approval', decision: 'allow_session' });
      expect(await run.result).toMatchObject({ status: 'completed', summary: 'Generic done.' });
      expect(await readFile(path.join(workDir, 'generic.txt'), 'utf8')).toBe('generic\n');
      expect(events.find(ofType('session.started'))).toMatchObject({ resumed: false });
    } finally {
      await fake.close();
    }
  });

  it('reports a missing program as not found', async () => {
    const agent = createAcpAgent({
      id: 'acp:missing',
      command: ['no-such-acp-agent-here'],
      parentEnv: { PATH: '/usr/bin:/bin' },
    });
    expect(await agent.detect()).toMatchObject({ state: 'not_found', enabled: false });
  });
});
