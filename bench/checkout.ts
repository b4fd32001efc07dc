import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
 * from the mirror) and our second-job preparation (mirror fetch from the forge included), after
 * a push of one commit and with nothing new. The standby work tree that preparation takes is
 * checked out in the background after each job: its time is reported apart (standby_replenish_s),
 * and each round waits for it, as a job that comes a few seconds after the last one would find it.
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
    // The same preparation without a standby work tree (what it was before them), sharing the mirror.
    const withoutStandby = createRepositoryWorkspaces({
      workspaceDir: join(root, 'work-without-standby'),
      mirrorsDir: join(root, 'mirrors'),
      environment: env,
      standbyWorkTrees: false,
    });
    const forge = { apiBaseUrl: `${server.url}/forge/api`, token: server.token };
    let jobs = 0;
    const prepare = async (port: typeof workspaces) => {
      const n = jobs++;
      const log: string[] = [];
      const started = performance.now();
      const ws = await port.prepare({
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
      // Not in the job's critical path: the standby for the next job, checked out in the background.
      const replenishMs = await timed(() => port.idle());
      await port.release(ws.workDir);
      return { ms, log, replenishMs };
    };
    // A push to the forge between jobs, as on a busy repository: one commit rewriting three files
    // (written with plumbing straight into the forge's repository, like the generated history).
    const advance = async (round: number) => {
      const index = join(root, 'advance-index');
      const envIndex = {
        ...env,
        GIT_INDEX_FILE: index,
        GIT_AUTHOR_NAME: 'Bench',
        GIT_AUTHOR_EMAIL: 'bench@example.test',
        GIT_COMMITTER_NAME: 'Bench',
        GIT_COMMITTER_EMAIL: 'bench@example.test',
      };
      const run = async (args: string[]) =>
        (
          await execFileAsync('git', args, { cwd: forgeRepo, env: envIndex, maxBuffer: 64 * 1024 * 1024 })
        ).stdout.trim();
      await run(['read-tree', 'main']);
      const paths = (await run(['ls-files'])).split('\n');
      for (let k = 0; k < 3; k++) {
        const path = paths[(round * 7907 + k * 3571) % paths.length]!;
        const file = join(root, 'advance-blob');
        writeFileSync(file, `round ${round} ${k}\n${randomBytes(2048).toString('base64')}\n`);
        const blob = await run(['hash-object', '-w', file]);
        await run(['update-index', '--cacheinfo', `100644,${blob},${path}`]);
      }
      const tree = await run(['write-tree']);
      const commit = await run(['commit-tree', tree, '-p', 'main', '-m', `Bench round ${round}`]);
      await run(['update-ref', 'refs/heads/main', commit]);
      rmSync(index, { force: true });
    };

    const cold = await prepare(workspaces);
    // The floor a warm cache can reach: git's own worktree from the same mirror. Runs alternate
    // with ours and with plain clones, so that a shared machine's load weighs on all of them alike.
    const mirrorsDir = join(root, 'mirrors');
    const mirror = join(
      mirrorsDir,
      readdirSync(mirrorsDir).find((name) => name.endsWith('.git'))!,
    );
    const moved: number[] = [];
    const unchanged: number[] = [];
    const before: number[] = [];
    const replenish: number[] = [cold.replenishMs];
    const worktree: number[] = [];
    const clones: number[] = [];
    let phases: string[] = [];
    const loads: number[] = [];
    for (let n = 1; n <= options.runs; n++) {
      loads.push(loadavg()[0]!);
      await advance(n);
      // The second job after a push: ls-remote, a small fetch, then the standby brought to the new tip.
      const run = await prepare(workspaces);
      moved.push(run.ms);
      replenish.push(run.replenishMs);
      phases = run.log;
      // The next job with nothing new on the forge: ls-remote only, then the standby.
      const again = await prepare(workspaces);
      unchanged.push(again.ms);
      replenish.push(again.replenishMs);
      before.push((await prepare(withoutStandby)).ms);
      clones.push(await plainClone(n));
      const dir = join(root, `worktree-${n}`);
      worktree.push(await timed(() => git(mirror, ['worktree', 'add', '--quiet', '--detach', dir, 'main'])));
      rmSync(dir, { recursive: true, force: true });
      await git(mirror, ['worktree', 'prune']);
    }

    const cloneMs = median(clones);
    const warmMs = median(moved);
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
      // After a push of one commit: the mirror's fetch from the forge and the checkout, all of it.
      warm_prepare_s: seconds(warmMs),
      warm_prepare_max_s: seconds(Math.max(...moved)),
      warm_prepare_unchanged_s: seconds(median(unchanged)),
      // The same preparation with git.standbyWorkTrees off (the path before standbys), same mirror.
      warm_prepare_without_standby_s: seconds(median(before)),
      // Background, after the job's prepare returned: checking out the next job's standby.
      standby_replenish_s: seconds(median(replenish)),
      speedup_vs_clone: Math.round((cloneMs / warmMs) * 10) / 10,
      overhead_vs_worktree: Math.round((warmMs / worktreeMs) * 100) / 100,
      // The last warm prepare's own account of where its time went.
      phases: phases.filter((line) => / in \d+ ms$|already matches|^Updating/.test(line)),
      load_average_at_rounds: loads.map((l) => Math.round(l * 10) / 10),
      load_average: loadavg().map((l) => Math.round(l * 10) / 10),
    };
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}
