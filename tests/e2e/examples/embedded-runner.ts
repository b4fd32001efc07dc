/**
 * Coord Runner inside your own tooling: a runner made from the libraries (core, agents, git) that
 * takes jobs from a Coord server until SIGINT or SIGTERM, then finishes the running ones and exits.
 * It runs repository jobs (clone, branch, pull request) and local jobs, with Claude Code, Codex or
 * Gemini CLI when they are installed, and the scripted demo agent. Approvals and questions wait for
 * an answer from the Coord web page (or from `runner.answer`, as an app of yours would give it).
 *
 *   COORD_SERVER=http://127.0.0.1:PORT COORD_TOKEN_FILE=./coord-data/token \
 *     npx tsx tests/e2e/examples/embedded-runner.ts [state dir]
 *
 * tests/e2e/test/embedded-runner.test.ts runs this file against the local server.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createClaudeCodeAgent,
  createCodexAgent,
  createDemoAgent,
  createGeminiAgent,
  stopLeftoverProcesses,
} from '@coord/runner-agents';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
  environmentSecrets,
  ofType,
} from '@coord/runner-core';
import { createRepositoryWorkspaces } from '@coord/runner-git';
import type { Platform } from '@coord/runner-protocol';

const server = process.env['COORD_SERVER'];
const tokenFile = process.env['COORD_TOKEN_FILE'];
if (!server || !tokenFile) {
  console.error(
    'Set COORD_SERVER (the Coord server URL) and COORD_TOKEN_FILE (a file holding its API token).',
  );
  process.exit(2);
}
// The token stays in its file: never in argv, where every user of the machine can read it.
const token = readFileSync(tokenFile, 'utf8').trim();
const stateDir = resolve(process.argv[2] ?? join(tmpdir(), 'coord-embedded-runner'));
mkdirSync(stateDir, { recursive: true, mode: 0o700 });

// One id per machine and state dir: a restart is the same runner to the server, which gives it
// back the attempts it held (the spool below keeps what they had not delivered yet).
const idFile = join(stateDir, 'machine-id');
if (!existsSync(idFile)) writeFileSync(idFile, randomUUID(), { mode: 0o600 });

const runner = createRunner({
  client: createCoordClient({ baseUrl: server, token, userAgent: 'embedded-runner-example' }),
  identity: {
    machineId: readFileSync(idFile, 'utf8').trim(),
    name: `${hostname()} (embedded)`,
    platform: process.platform as Platform,
    arch: arch(),
    version: '0.1.0',
  },
  // Each agent is detected at start; one not installed is listed as such and gets no job.
  agents: [createClaudeCodeAgent(), createCodexAgent(), createGeminiAgent(), createDemoAgent()],
  repositories: createRepositoryWorkspaces({
    mirrorsDir: join(stateDir, 'mirrors'),
    workspaceDir: join(stateDir, 'workspace', 'repositories'),
  }),
  local: createLocalWorkspaces({ root: join(stateDir, 'workspace', 'local') }),
  spool: createFileEventSpool(join(stateDir, 'attempts')),
  capacity: 2,
  // Values of *_TOKEN, *_KEY, ... in this environment are redacted from everything the runner sends.
  secrets: environmentSecrets(process.env),
  // The agents are told to keep out of the runner's state and the token file.
  protectedPaths: [stateDir, resolve(tokenFile)],
  // A dev server or browser an agent started is stopped with its job.
  stopLeftoverProcesses,
});

runner.events$.pipe(ofType('job.claimed')).subscribe((e) => console.log(`claimed ${e.jobId}: ${e.title}`));
runner.events$
  .pipe(ofType('interaction.requested'))
  .subscribe((e) => console.log(`${e.jobId} waits for an answer on the web page (${e.interactionId})`));
runner.events$.pipe(ofType('job.finished')).subscribe((e) => {
  const result = e.pullRequest?.url ?? e.outputs?.join(', ') ?? e.error?.message ?? '';
  console.log(`finished ${e.jobId}: ${e.outcome}${result ? ` ${result}` : ''}`);
});
runner.events$.pipe(ofType('runner.error')).subscribe((e) => console.error(`runner: ${e.error.message}`));

// The first signal drains (no new job; the running ones finish and report); the stream then ends.
const stopped = new Promise<void>((done) => runner.events$.subscribe({ complete: done }));
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void runner.stop({ mode: 'drain' }));

const registration = await runner.start();
console.log(
  `runner ${registration.runner.id} serving ${registration.workspaces.map((w) => w.name).join(', ')}`,
);
await stopped;
console.log('stopped');
