/* global process, console, performance, AbortController */
// How long prepare takes on a repository the runner has seen before (the mirror exists) versus the
// first time. Run after `npx tsup`: node bench/prepare.mjs [files] [commits]. Last line is JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRepositoryWorkspaces } from '../dist/index.js';

const files = Number(process.argv[2] ?? 2000);
const commits = Number(process.argv[3] ?? 20);
const root = mkdtempSync(join(tmpdir(), 'coord-bench-git-'));
const env = {
  PATH: process.env.PATH,
  HOME: root,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.test',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.test',
};
const git = (cwd, ...args) => execFileSync('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });

try {
  const source = join(root, 'source');
  mkdirSync(source);
  git(source, 'init', '--quiet', '--initial-branch=main');
  for (let c = 0; c < commits; c++) {
    for (let f = c; f < files; f += commits) {
      mkdirSync(join(source, `dir${f % 50}`), { recursive: true });
      writeFileSync(join(source, `dir${f % 50}`, `file${f}.ts`), `// commit ${c}\nexport const value${f} = ${c};\n`.repeat(20));
    }
    git(source, 'add', '--all');
    git(source, 'commit', '--quiet', '-m', `commit ${c}`);
  }
  const origin = join(root, 'origin.git');
  git(root, 'clone', '--quiet', '--bare', source, origin);

  const port = createRepositoryWorkspaces({
    workspaceDir: join(root, 'work'),
    mirrorsDir: join(root, 'mirrors'),
    allowFileRemotes: true,
    environment: { PATH: process.env.PATH, HOME: root },
  });
  const phases = [];
  const prepare = async (n) => {
    const started = performance.now();
    const marks = {};
    const log = (message) => {
      const match = /^(Mirror|Cloned).* in (\d+) ms$/.exec(message);
      if (match) marks[match[1] === 'Mirror' ? 'mirrorMs' : 'cloneMs'] = Number(match[2]);
    };
    await port.prepare({
      job: { id: `job_${n}`, title: 'Bench job' },
      attempt: { id: `a${n}`, jobId: `job_${n}`, workspaceId: 'w', number: 1, leaseExpiresAt: new Date().toISOString(), previousSessionId: null, branch: null },
      repository: { cloneUrl: pathToFileURL(origin).href, owner: 'bench', name: 'repo' },
      forge: null,
      signal: new AbortController().signal,
      log,
    });
    const total = performance.now() - started;
    phases.push({ ...marks, checkoutMs: Math.round(total - (marks.mirrorMs ?? 0) - (marks.cloneMs ?? 0)) });
    return total;
  };
  const first = await prepare(0);
  const warm = [];
  for (let n = 1; n <= 5; n++) warm.push(await prepare(n));
  warm.sort((a, b) => a - b);
  const result = {
    bench: 'git-prepare',
    files,
    commits,
    firstPrepareMs: Math.round(first),
    warmPrepareMedianMs: Math.round(warm[2]),
    warmPrepareMaxMs: Math.round(warm[4]),
    // Per prepare: mirror fetch, clone from the mirror, and the rest (mostly writing the checkout).
    phases,
  };
  console.log(JSON.stringify(result));
} finally {
  rmSync(root, { recursive: true, force: true });
}
