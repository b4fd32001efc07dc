import type { Database } from 'better-sqlite3';

/**
 * Migrations, applied in order; `user_version` records how many ran. Times are integer epoch
 * milliseconds (cheap to compare in the claim and sweep queries); JSON columns hold protocol shapes.
 */
const migrations: string[] = [
  `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    created_at INTEGER NOT NULL
  );
  CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    PRIMARY KEY (workspace_id, account_id)
  );
  CREATE TABLE runners (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    machine_id TEXT NOT NULL,
    name TEXT NOT NULL,
    platform TEXT NOT NULL,
    arch TEXT NOT NULL,
    version TEXT NOT NULL,
    agents TEXT NOT NULL,
    eligible_agents TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    labels TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    UNIQUE (account_id, machine_id)
  );
  CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    submitted_by TEXT NOT NULL REFERENCES accounts(id),
    status TEXT NOT NULL,
    spec TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    routing_mode TEXT NOT NULL,
    routing_runner TEXT,
    context_type TEXT NOT NULL,
    repo_owner TEXT,
    repo_name TEXT,
    clone_url TEXT,
    max_attempts INTEGER NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ready_at INTEGER
  );
  CREATE INDEX jobs_by_status ON jobs (status, ready_at, seq);
  CREATE TABLE attempts (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    number INTEGER NOT NULL,
    runner_id TEXT NOT NULL REFERENCES runners(id),
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    lease_expires_at INTEGER NOT NULL,
    runner_state TEXT,
    summary TEXT,
    pull_request TEXT,
    outputs TEXT,
    error TEXT,
    usage TEXT,
    session_id TEXT,
    last_seq INTEGER,
    events_acked INTEGER NOT NULL DEFAULT 0,
    forge_token_hash TEXT UNIQUE,
    completion TEXT,
    completion_answer TEXT,
    UNIQUE (job_id, number)
  );
  CREATE INDEX attempts_by_status ON attempts (status, lease_expires_at);
  CREATE INDEX attempts_by_runner ON attempts (runner_id, status);
  CREATE TABLE events (
    attempt_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (attempt_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE interactions (
    id TEXT PRIMARY KEY,
    attempt_id TEXT NOT NULL REFERENCES attempts(id),
    job_id TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    answer TEXT,
    answered_by TEXT,
    answered_at INTEGER
  );
  CREATE INDEX interactions_by_attempt ON interactions (attempt_id);
  CREATE TABLE controls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id TEXT NOT NULL REFERENCES attempts(id),
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX controls_by_attempt ON controls (attempt_id);
  CREATE TABLE artifacts (
    attempt_id TEXT NOT NULL REFERENCES attempts(id),
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, path)
  );
  CREATE TABLE repos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    default_branch TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (owner, name)
  );
  CREATE TABLE pulls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repo_id INTEGER NOT NULL REFERENCES repos(id),
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    head_ref TEXT NOT NULL,
    base_ref TEXT NOT NULL,
    state TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER,
    UNIQUE (repo_id, number)
  );
  `,
  // Web page sessions: only the sha256 of the cookie's random id is stored.
  `
  CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_by_expiry ON sessions (expires_at);
  `,
  // A job requeued because its runner was lost is offered to that runner first, for a while.
  `
  ALTER TABLE jobs ADD COLUMN affinity_runner TEXT;
  ALTER TABLE jobs ADD COLUMN affinity_until INTEGER;
  CREATE INDEX jobs_by_affinity ON jobs (affinity_runner) WHERE affinity_runner IS NOT NULL;
  `,
  // Device sign-in: a runner's pending request, approved by a person signed in to the web page.
  // Only hashes of the device code are kept; the token is minted when the approved runner polls.
  `
  CREATE TABLE device_codes (
    device_hash TEXT PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    client_name TEXT NOT NULL,
    status TEXT NOT NULL,
    account_id TEXT REFERENCES accounts(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_poll_at INTEGER
  );
  ALTER TABLE tokens ADD COLUMN source TEXT;
  `,
  // Revisions: the feedback a reviewer asked for waits on the job until an attempt delivers it;
  // each attempt records the feedback it answered. Attempts up to revision_after do not count
  // against the retry budget of the revision.
  `
  ALTER TABLE jobs ADD COLUMN pending_feedback TEXT;
  ALTER TABLE jobs ADD COLUMN revision_after INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE attempts ADD COLUMN feedback TEXT;
  `,
  // The key of the claim that made an attempt: the same claim retried after its answer was lost
  // gets that attempt again.
  `
  ALTER TABLE attempts ADD COLUMN claim_key TEXT;
  CREATE INDEX attempts_by_claim_key ON attempts (runner_id, claim_key) WHERE claim_key IS NOT NULL;
  `,
  // When a runner signed off as it stopped: offline at once, until it is heard from again.
  `
  ALTER TABLE runners ADD COLUMN offline_at INTEGER;
  `,
  // When a stopping runner said it drains: it takes no new job until it claims again.
  `
  ALTER TABLE runners ADD COLUMN draining_at INTEGER;
  `,
  // One-time links to the web page: only the sha256 of the link's code is stored.
  `
  CREATE TABLE sign_in_links (
    hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    expires_at INTEGER NOT NULL
  );
  `,
];

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let i = current; i < migrations.length; i++) {
    db.transaction(() => {
      db.exec(migrations[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
