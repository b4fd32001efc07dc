import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../db/store.js';
import { gitOk } from './git.js';
import { forgeApiBase, forgeCloneUrl, forgeHtmlUrl } from './urls.js';

export interface RepoRow {
  id: number;
  owner: string;
  name: string;
  default_branch: string;
  created_by: string;
  created_at: number;
}

/**
 * Repository names: never an option to git (`-rf`), never hidden or `.`/`..`, never ending in
 * `.git` (the path already adds it: `a.git` would be stored as `a.git.git`).
 */
export const REPO_NAME = /^(?![.-])(?!.*\.git$)[A-Za-z0-9_.-]{1,100}$/i;
export const REPO_NAME_RULE =
  "must be 1-100 letters, digits, '.', '_' or '-', must not start with '.' or '-', and must not end in '.git'";
/** Branch names the forge accepts in API calls (they become `refs/heads/<name>` argv, never options). */
export const BRANCH_NAME = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock$)[A-Za-z0-9._/-]{1,200}(?<![./])$/;

export function repoDir(store: Store, owner: string, name: string): string {
  return join(store.forgeDir, owner, `${name}.git`);
}

export function findRepo(store: Store, owner: string, name: string): RepoRow | undefined {
  return store.sql('SELECT * FROM repos WHERE owner = ? AND name = ?').get(owner, name) as
    RepoRow | undefined;
}

export interface NewRepoOptions {
  autoInit: boolean;
  defaultBranch: string;
  description?: string;
}

/**
 * A bare repository that accepts pushes over smart HTTP. With `autoInit`, the default branch gets
 * one commit holding a README.md (built with plumbing: no work tree needed). One that exists, or
 * is being created, is that one.
 */
export function createRepo(
  store: Store,
  createdBy: string,
  owner: string,
  name: string,
  options: NewRepoOptions,
): Promise<RepoRow> {
  // Created meanwhile (a push and an API call racing): it is the one asked for.
  const existing = findRepo(store, owner, name);
  if (existing) return Promise.resolve(existing);
  const key = `${owner}/${name}`;
  let pending = creations.get(store);
  if (!pending) creations.set(store, (pending = new Map()));
  const inFlight = pending.get(key);
  if (inFlight) return inFlight;
  const created = initRepo(store, createdBy, owner, name, options).finally(() => pending.delete(key));
  pending.set(key, created);
  return created;
}

/** Repositories being created now, per store: a second creation of one waits for the first. */
const creations = new WeakMap<Store, Map<string, Promise<RepoRow>>>();

/** Whether the repository is being created now (it is not in the table yet). */
export function isBeingCreated(store: Store, owner: string, name: string): boolean {
  return creations.get(store)?.has(`${owner}/${name}`) ?? false;
}

async function initRepo(
  store: Store,
  createdBy: string,
  owner: string,
  name: string,
  options: NewRepoOptions,
): Promise<RepoRow> {
  if (!REPO_NAME.test(name)) throw new TypeError(`Repository name ${REPO_NAME_RULE}`);
  const dir = repoDir(store, owner, name);
  if (existsSync(dir)) await rm(dir, { recursive: true, force: true }); // leftover of a crash before the insert
  await gitOk(['init', '--quiet', '--bare', `--initial-branch=${options.defaultBranch}`, dir]);
  await gitOk(['config', 'http.receivepack', 'true'], { cwd: dir });
  if (options.autoInit) {
    const readme = `# ${name}\n${options.description ? `\n${options.description}\n` : ''}`;
    const blob = (await gitOk(['hash-object', '-w', '--stdin'], { cwd: dir, input: readme })).trim();
    const tree = (await gitOk(['mktree'], { cwd: dir, input: `100644 blob ${blob}\tREADME.md\n` })).trim();
    const commit = (await gitOk(['commit-tree', tree, '-m', 'Initial commit'], { cwd: dir })).trim();
    await gitOk(['update-ref', `refs/heads/${options.defaultBranch}`, commit], { cwd: dir });
  }
  store
    .sql('INSERT INTO repos (owner, name, default_branch, created_by, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(owner, name, options.defaultBranch, createdBy, Date.now());
  return findRepo(store, owner, name)!;
}

/** The repository in GitHub's JSON shape (the fields octokit users read). */
export function repoJson(store: Store, repo: RepoRow): Record<string, unknown> {
  const created = new Date(repo.created_at).toISOString();
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: { login: repo.owner, id: 1, type: 'User' },
    private: true,
    description: null,
    fork: false,
    default_branch: repo.default_branch,
    clone_url: forgeCloneUrl(store, repo.owner, repo.name),
    html_url: forgeHtmlUrl(store, repo.owner, repo.name),
    url: `${forgeApiBase(store)}/repos/${repo.owner}/${repo.name}`,
    created_at: created,
    updated_at: created,
    pushed_at: created,
    visibility: 'private',
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  };
}

/** The commit a branch points at, or null when the branch does not exist. */
export async function branchSha(store: Store, repo: RepoRow, branch: string): Promise<string | null> {
  if (!BRANCH_NAME.test(branch)) return null;
  try {
    return (
      await gitOk(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], {
        cwd: repoDir(store, repo.owner, repo.name),
      })
    ).trim();
  } catch {
    return null;
  }
}
