import type { Store } from '../db/store.js';
import { git } from './git.js';
import { branchSha, repoDir, repoJson, type RepoRow } from './repos.js';
import { forgeApiBase, forgeHtmlUrl } from './urls.js';

export interface PullRow {
  id: number;
  repo_id: number;
  number: number;
  title: string;
  body: string | null;
  head_ref: string;
  base_ref: string;
  state: 'open' | 'closed';
  created_by: string;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
}

export interface DiffStat {
  commits: number;
  additions: number;
  deletions: number;
  changed_files: number;
}

/** `git diff --numstat base...head` (what the PR would bring in); binary files count as changed. */
export async function diffStat(store: Store, repo: RepoRow, base: string, head: string): Promise<DiffStat> {
  const cwd = repoDir(store, repo.owner, repo.name);
  const stat: DiffStat = { commits: 0, additions: 0, deletions: 0, changed_files: 0 };
  const [baseSha, headSha] = await Promise.all([branchSha(store, repo, base), branchSha(store, repo, head)]);
  if (!baseSha || !headSha) return stat;
  const [numstat, count] = await Promise.all([
    git(['diff', '--numstat', `${baseSha}...${headSha}`], { cwd }),
    git(['rev-list', '--count', `${baseSha}..${headSha}`], { cwd }),
  ]);
  for (const line of numstat.stdout.split('\n')) {
    const [added, deleted] = line.split('\t');
    if (added === undefined || deleted === undefined) continue;
    stat.changed_files += 1;
    if (added !== '-') stat.additions += Number(added);
    if (deleted !== '-') stat.deletions += Number(deleted);
  }
  stat.commits = Number(count.stdout.trim()) || 0;
  return stat;
}

export function findPulls(
  store: Store,
  repo: RepoRow,
  filter: { head?: string; base?: string; state: 'open' | 'closed' | 'all' },
): PullRow[] {
  return store
    .sql(
      `SELECT * FROM pulls WHERE repo_id = @repo AND (@head IS NULL OR head_ref = @head) AND (@base IS NULL OR base_ref = @base)
         AND (@state = 'all' OR state = @state)
       ORDER BY number DESC`,
    )
    .all({
      repo: repo.id,
      head: filter.head ?? null,
      base: filter.base ?? null,
      state: filter.state,
    }) as PullRow[];
}

export function findPull(store: Store, repo: RepoRow, number: number): PullRow | undefined {
  return store.sql('SELECT * FROM pulls WHERE repo_id = ? AND number = ?').get(repo.id, number) as
    PullRow | undefined;
}

export function insertPull(
  store: Store,
  repo: RepoRow,
  p: { title: string; body: string | null; head: string; base: string; createdBy: string },
): PullRow {
  const now = Date.now();
  return store.tx(() => {
    const next =
      (
        store.sql('SELECT max(number) AS n FROM pulls WHERE repo_id = ?').get(repo.id) as {
          n: number | null;
        }
      ).n ?? 0;
    store
      .sql(
        `INSERT INTO pulls (repo_id, number, title, body, head_ref, base_ref, state, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
      )
      .run(repo.id, next + 1, p.title, p.body, p.head, p.base, p.createdBy, now, now);
    return findPull(store, repo, next + 1)!;
  });
}

export function updatePull(
  store: Store,
  pull: PullRow,
  changes: { title?: string; body?: string | null; state?: 'open' | 'closed'; base?: string },
): void {
  const now = Date.now();
  const state = changes.state ?? pull.state;
  store
    .sql(
      `UPDATE pulls SET title = ?, body = ?, state = ?, base_ref = ?, updated_at = ?,
         closed_at = CASE WHEN ? = 'closed' THEN coalesce(closed_at, ?) ELSE NULL END
       WHERE id = ?`,
    )
    .run(
      changes.title ?? pull.title,
      changes.body === undefined ? pull.body : changes.body,
      state,
      changes.base ?? pull.base_ref,
      now,
      state,
      now,
      pull.id,
    );
}

/** A pull request in GitHub's JSON shape; `withStats` adds the diff numbers (single-PR answers). */
export async function pullJson(
  store: Store,
  repo: RepoRow,
  pull: PullRow,
  withStats: boolean,
): Promise<Record<string, unknown>> {
  const api = forgeApiBase(store);
  const [headSha, baseSha] = await Promise.all([
    branchSha(store, repo, pull.head_ref),
    branchSha(store, repo, pull.base_ref),
  ]);
  const repoView = repoJson(store, repo);
  const user = { login: pull.created_by, id: 1, type: 'User' };
  const ref = (name: string, sha: string | null) => ({
    label: `${repo.owner}:${name}`,
    ref: name,
    sha: sha ?? '0'.repeat(40),
    user: { login: repo.owner, id: 1, type: 'User' },
    repo: repoView,
  });
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    url: `${api}/repos/${repo.owner}/${repo.name}/pulls/${pull.number}`,
    id: pull.id,
    node_id: `PR_${pull.id}`,
    html_url: `${forgeHtmlUrl(store, repo.owner, repo.name)}/pull/${pull.number}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user,
    body: pull.body,
    created_at: iso(pull.created_at),
    updated_at: iso(pull.updated_at),
    closed_at: iso(pull.closed_at),
    merged_at: null,
    merge_commit_sha: null,
    draft: false,
    head: ref(pull.head_ref, headSha),
    base: ref(pull.base_ref, baseSha),
    merged: false,
    mergeable: null,
    comments: 0,
    review_comments: 0,
    ...(withStats ? await diffStat(store, repo, pull.base_ref, pull.head_ref) : {}),
  };
}
