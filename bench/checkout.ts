import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { startLocalServer } from '@coord/local-server';
import { createRepositoryWorkspaces } from '@coord/runner-git';
import { bigRepo } from './big-repo.js';

/**
 * The second job on a big repository: a repository shaped like a mid-sized real one (20,000
 * files, 5,000 commits, a pack over 100 MB) on the local forge, over its smart HTTP. Compares
 * what a runner without a cache does (`git clone`), the floor for a warm cache (`git worktree add`
 * from the mirror) and our second-job preparation (mirror fetch from the forge included).
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      files: { type: 'string', default: '20000' },
      commits: { type: 'string', default: '5000' },
      'pack-mb': { type: 'string', default: '100' },
      runs: { type: 'string', default: '5' },
    },
  });
  const result = await measureCheckout({
    files: Number(values.files),
    commits: Number(values.commits),
    packMb: Number(values['pack-mb']),
    runs: Number(values.runs),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export interface CheckoutOptions {
  files: number;
  commits: number;
  packMb: number;
  runs: number;
}

const execFileAsync = promisify(execFile);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const seconds = (ms: number) => Math.round(ms) / 1000;

export async function measureCheckout(options: CheckoutOptions) {
  const generating = performance.now();
  const repo = await bigRepo(options);
  const generateMs = performance.now() - generating;
  const root = mkdtempSync(join(tmpdir(), 'coord-bench-checkout-'));
  const server = await startLocalServer({ dataDir: join(root, 'server') });
  try {
    const created = await fetch(`${server.url}/forge/api/user/repos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big' }),
    });
    const info = (await created.json()) as { clone_url: string; name: string; owner: { login: string } };
    if (created.status !== 201) throw new Error(`creating the forge repository: ${created.status}`);
    // The generated history becomes the forge's repository, as if it had been pushed there.
    const forgeRepo = join(server.store.forgeDir, info.owner.login, `${info.name}.git`);
    rmSync(forgeRepo, { recursive: true, force: true });
    cpSync(repo.dir, forgeRepo, { recursive: true });

    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${server.token}`).toString('base64')}`;
    const env = {
      PATH: process.env['PATH'] ?? '',
      HOME: root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
    };
    // Asynchronous: the forge answering these commands runs in this very process.
    const git = (cwd: string, args: string[], withAuth = false) =>
      execFileAsync('git', args, {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        env: withAuth
          ? {
              ...env,
              GIT_CONFIG_COUNT: '1',
              GIT_CONFIG_KEY_0: 'http.extraHeader',
              GIT_CONFIG_VALUE_0: header,
            }
          : env,
      });
    const timed = async (run: () => Promise<unknown>) => {
      const started = performance.now();
      await run();
      return performance.now() - started;
    };

    // What a runner without a cache does for every job.
    const plainClone = async (n: number) => {
      const cloneDir = join(root, `plain-clone-${n}`);
      const ms = await timed(() => git(root, ['clone', '--quiet', info.clone_url, cloneDir], true));
      rmSync(cloneDir, { recursive: true, force: true });
      return ms;
    };

    const workspaces = createRepositoryWorkspaces({
      workspaceDir: join(root, 'work'),
      mirrorsDir: join(root, 'mirrors'),
      environment: env,
    });
    const forge = { apiBaseUrl: `${server.url}/forge/api`, token: server.token };
    const prepare = async (n: number) => {
      const log: string[] = [];
      const started = performance.now();
      const ws = await workspaces.prepare({
        job: { id: `job_bench${n}`, title: 'Bench job' },
        attempt: {
          id: `att_${n}`,
          jobId: `job_bench${n}`,
          workspaceId: 'w',
          number: 1,
          leaseExpiresAt: new Date(Date.now() + 600_000).toISOString(),
          previousSessionId: null,
          branch: null,
        },
        // No base branch: the forge's default branch is read too, as for most jobs.
        repository: { cloneUrl: info.clone_url, owner: info.owner.login, name: info.name },
        forge,
        signal: new AbortController().signal,
        log: (message) => log.push(message),
      });
      const ms = performance.now() - started;
      await workspaces.release(ws.workDir);
      return { ms, log };
    };
    const cold = await prepare(0);
    // The floor a warm cache can reach: git's own worktree from the same mirror. Runs alternate
    // with ours and with plain clones, so that a shared machine's load weighs on all three alike.
    const mirrorsDir = join(root, 'mirrors');
    const mirror = join(
      mirrorsDir,
      readdirSync(mirrorsDir).find((name) => name.endsWith('.git'))!,
    );
    const warm: number[] = [];
    const worktree: number[] = [];
    const clones: number[] = [];
    let phases: string[] = [];
    for (let n = 1; n <= options.runs; n++) {
      clones.push(await plainClone(n));
      const run = await prepare(n);
      warm.push(run.ms);
      phases = run.log;
      const dir = join(root, `worktree-${n}`);
      worktree.push(await timed(() => git(mirror, ['worktree', 'add', '--quiet', '--detach', dir, 'main'])));
      rmSync(dir, { recursive: true, force: true });
      await git(mirror, ['worktree', 'prune']);
    }

    const cloneMs = median(clones);
    const warmMs = median(warm);
    const worktreeMs = median(worktree);
    return {
      bench: 'checkout',
      files: options.files,
      commits: options.commits,
      pack_mb: Math.round(repo.packBytes / (1024 * 1024)),
      generated_now: repo.generatedNow,
      generate_s: seconds(generateMs),
      clone_s: seconds(cloneMs),
      worktree_s: seconds(worktreeMs),
      cold_prepare_s: seconds(cold.ms),
      warm_prepare_s: seconds(warmMs),
      warm_prepare_max_s: seconds(Math.max(...warm)),
      speedup_vs_clone: Math.round((cloneMs / warmMs) * 10) / 10,
      overhead_vs_worktree: Math.round((warmMs / worktreeMs) * 100) / 100,
      // The last warm prepare's own account of where its time went.
      phases: phases.filter((line) => / in \d+ ms$|already matches/.test(line)),
      load_average: loadavg().map((l) => Math.round(l * 10) / 10),
    };
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}
