import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactView } from '@coord/runner-protocol';
import { ApiError } from '../errors.js';
import { writeFileDurably } from '../util/files.js';
import { iso } from '../util/ids.js';
import { writableAttempt } from './attempts.js';
import type { Store } from './store.js';
import { visibleAttempt } from './views.js';

interface ArtifactRow {
  path: string;
  size: number;
  sha256: string;
  created_at: number;
}

const toView = (r: ArtifactRow): ArtifactView => ({
  path: r.path,
  size: r.size,
  sha256: r.sha256,
  createdAt: iso(r.created_at),
});

/**
 * Path segments as they arrive (still URI-encoded) -> a safe relative path, or a 400 that names
 * it. Decoding happens per segment, so `..%2F..` cannot smuggle a traversal past the checks.
 */
export function artifactPath(rawSegments: string[]): string {
  const bad = (message: string) =>
    new ApiError(400, 'request.invalid', `Invalid artifact path: ${message}`, {
      issues: [{ path: 'path', message }],
    });
  if (rawSegments.length === 0) throw bad('is empty');
  const segments = rawSegments.map((s) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(s);
    } catch {
      throw bad('is not valid percent-encoding');
    }
    if (decoded === '' || decoded === '.' || decoded === '..')
      throw bad('must be a relative path inside the work directory');
    if (/[/\\\0]/.test(decoded)) throw bad('must be a relative path inside the work directory');
    return decoded;
  });
  const path = segments.join('/');
  if (/^[A-Za-z]:/.test(path) || path.length > 512)
    throw bad('must be a relative path inside the work directory');
  return path;
}

export async function putArtifact(
  store: Store,
  accountId: string,
  runnerId: string,
  attemptId: string,
  path: string,
  bytes: Uint8Array,
  /** The sha256 the runner computed: bytes damaged on the way are refused, and nothing is stored. */
  declaredSha256?: string,
): Promise<ArtifactView> {
  writableAttempt(store, accountId, runnerId, attemptId);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (declaredSha256 !== undefined && declaredSha256 !== sha256) {
    throw new ApiError(
      400,
      'artifact.checksum_mismatch',
      `Artifact ${path} arrived with sha256 ${sha256}, not the ${declaredSha256} the runner sent: it was damaged on the way and not stored; upload it again.`,
    );
  }
  try {
    await writeFileDurably(join(store.artifactsDir, attemptId, 'files', path), bytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') {
      throw new ApiError(409, 'request.invalid', `Artifact path ${path} collides with another artifact`);
    }
    throw error;
  }
  const now = Date.now();
  store
    .sql(
      `INSERT INTO artifacts (attempt_id, path, size, sha256, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (attempt_id, path) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256, created_at = excluded.created_at`,
    )
    .run(attemptId, path, bytes.byteLength, sha256, now);
  return { path, size: bytes.byteLength, sha256, createdAt: iso(now) };
}

export async function getArtifact(
  store: Store,
  accountId: string,
  attemptId: string,
  path: string,
): Promise<{ view: ArtifactView; bytes: Buffer }> {
  visibleAttempt(store, accountId, attemptId);
  const row = store
    .sql('SELECT path, size, sha256, created_at FROM artifacts WHERE attempt_id = ? AND path = ?')
    .get(attemptId, path) as ArtifactRow | undefined;
  if (!row) throw new ApiError(404, 'request.not_found', `No artifact ${path} in attempt ${attemptId}`);
  const bytes = await readFile(join(store.artifactsDir, attemptId, 'files', path));
  return { view: toView(row), bytes };
}

export function listArtifacts(store: Store, accountId: string, attemptId: string): ArtifactView[] {
  visibleAttempt(store, accountId, attemptId);
  return (
    store
      .sql('SELECT path, size, sha256, created_at FROM artifacts WHERE attempt_id = ? ORDER BY path')
      .all(attemptId) as ArtifactRow[]
  ).map(toView);
}
