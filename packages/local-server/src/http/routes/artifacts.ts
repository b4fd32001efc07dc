import { ARTIFACT_SHA256_HEADER, MAX_ARTIFACT_BYTES, sha256HexSchema } from '@coord/runner-protocol';
import { Hono } from 'hono';
import { artifactPath, getArtifact, listArtifacts, putArtifact } from '../../db/artifacts.js';
import { bodySource, readBytes } from '../body.js';
import { requireMediaType } from '../guards.js';
import type { AppEnv, Ctx, Deps } from '../context.js';
import { idParam, runnerIdHeader } from '../validate.js';
import { ApiError } from '../../errors.js';

/**
 * The artifact path as the client sent it. The WHATWG URL the app sees has `..` segments already
 * resolved, so read the raw request target when the node binding offers it, and check every segment.
 */
function rawArtifactPath(c: Ctx, attemptId: string): string {
  const raw = (c.env.incoming?.url ?? new URL(c.req.url).pathname).split('?')[0]!;
  const marker = `/attempts/${encodeURIComponent(attemptId)}/artifacts/`;
  const at = raw.indexOf(marker);
  const rest = at >= 0 ? raw.slice(at + marker.length) : '';
  return artifactPath(rest.split('/'));
}

export function artifactRoutes({ store }: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/attempts/:attemptId/artifacts', (c) => {
    return c.json({ artifacts: listArtifacts(store, c.get('account').id, idParam(c, 'attemptId')) });
  });

  app.put('/attempts/:attemptId/artifacts/*', async (c) => {
    const attemptId = idParam(c, 'attemptId');
    const runnerId = runnerIdHeader(c);
    const path = rawArtifactPath(c, attemptId);
    const source = bodySource(c);
    requireMediaType(source.incoming, 'application/octet-stream');
    const declared = c.req.header(ARTIFACT_SHA256_HEADER);
    if (declared !== undefined && !sha256HexSchema.safeParse(declared).success) {
      throw new ApiError(400, 'request.invalid', `${ARTIFACT_SHA256_HEADER} must be a lowercase hex sha256`, {
        issues: [{ path: ARTIFACT_SHA256_HEADER, message: 'must be a lowercase hex sha256' }],
      });
    }
    const bytes = await readBytes(source, MAX_ARTIFACT_BYTES, 'artifact.too_large');
    const artifact = await putArtifact(
      store,
      c.get('account').id,
      runnerId,
      attemptId,
      path,
      bytes,
      declared,
    );
    return c.json({ artifact });
  });

  app.get('/attempts/:attemptId/artifacts/*', async (c) => {
    const attemptId = idParam(c, 'attemptId');
    const { view, bytes } = await getArtifact(
      store,
      c.get('account').id,
      attemptId,
      rawArtifactPath(c, attemptId),
    );
    return c.body(new Uint8Array(bytes), 200, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(view.path.split('/').pop()!)}`,
      [ARTIFACT_SHA256_HEADER]: view.sha256,
    });
  });

  return app;
}
