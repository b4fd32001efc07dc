import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRepositoryWorkspaces } from '@coord/runner-git';

/**
 * How long preparing an attempt's work tree takes the first time a repository is seen (the mirror
 * is created) versus later (the mirror is fetched, the clone is local). DESIGN.md section 8 wants
 * the second job on a repository to start in well under a second.
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { files: { type: 'string', default: '2000' }, commits: { type: 'string', default: '20' } },
  });
  const files = Number(values.files);
  const commits = Number(values.commits);
  const root = mkdtempSync(join(tmpdir(), 'coord-bench-prepare-'));
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.test',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.test',
  };
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const source = join(root, 'source');
    mkdirSync(source);
    git(source, 'init', '--quiet', '--initial-branch=main');
    for (let c = 0; c < commits; c++) {
      for (let f = c; f < files; f += commits) {
        mkdirSync(join(source, `dir${f % 50}`), { recursive: true });
        writeFileSync(
          join(source, `dir${f % 50}`, `file${f}.ts`),
          `// commit ${c}\nexport const value${f} = ${c};\n`.repeat(20),
        );
      }
      git(source, 'add', '--all');
      git(source, 'commit', '--quiet', '-m', `commit ${c}`);
    }
    const origin = join(root, 'origin.git');
    git(root, 'clone', '--quiet', '--bare', source, origin);

    const workspaces = createRepositoryWorkspaces({
      workspaceDir: join(root, 'work'),
      mirrorsDir: join(root, 'mirrors'),
      allowFileRemotes: true,
      environment: { PATH: env.PATH, HOME: root },
    });
    const phases: Array<Record<string, number>> = [];
    const prepare = async (n: number): Promise<number> => {
      const started = performance.now();
      const marks: Record<string, number> = {};
      const log = (message: string) => {
        const match = /^(Mirror|Cloned).* in (\d+) ms$/.exec(message);
        if (match) marks[match[1] === 'Mirror' ? 'mirrorMs' : 'cloneMs'] = Number(match[2]);
      };
      await workspaces.prepare({
        job: { id: `job_${n}`, title: 'Bench job' },
        attempt: {
          id: `a${n}`,
          jobId: `job_${n}`,
          workspaceId: 'w',
          number: 1,
          leaseExpiresAt: new Date().toISOString(),
          previousSessionId: null,
          branch: null,
        },
        repository: { cloneUrl: pathToFileURL(origin).href, owner: 'bench', name: 'repo' },
        forge: null,
        signal: new AbortController().signal,
        log,
      });
      const total = performance.now() - started;
      phases.push({
        ...marks,
        checkoutMs: Math.round(total - (marks['mirrorMs'] ?? 0) - (marks['cloneMs'] ?? 0)),
      });
      return total;
    };
    const first = await prepare(0);
    const warm: number[] = [];
    for (let n = 1; n <= 5; n++) warm.push(await prepare(n));
    warm.sort((a, b) => a - b);
    const result = {
      bench: 'prepare',
      files,
      commits,
      first_prepare_ms: Math.round(first),
      warm_prepare_median_ms: Math.round(warm[2]!),
      warm_prepare_max_ms: Math.round(warm[4]!),
      // Per prepare: mirror fetch, clone from the mirror, and the rest (mostly writing the checkout).
      phases,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
