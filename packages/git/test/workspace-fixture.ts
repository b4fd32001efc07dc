import { isCoordError, type CoordError } from '@coord/runner-core';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  PrepareInput,
  PublishInput,
  PreparedWorkspace,
  RepositoryWorkspacePort,
} from '@coord/runner-core';
import type { AttemptInfo, ForgeCredentials, Repository } from '@coord/runner-protocol';
import {
  createRepositoryWorkspaces,
  type RepositoryBackgroundWork,
  type RepositoryWorkspacesOptions,
} from '../src/index.js';
import { createOrigin, createTestContext, type Origin, type TestContext } from './helpers/context.js';
import { startGitHubEmulator, type EmulatorOptions, type GitHubEmulator } from './helpers/github-emulator.js';

/** The CoordError a promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function caught(promise: Promise<unknown>): Promise<CoordError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isCoordError(error)) throw new Error(`expected a CoordError, got ${String(error)}`);
  return error;
}

export const forgeToken = 'ghs_TESTTOKENabcdefghijklmnopqrstuvwxyz0123';

export interface Fixture {
  ctx: TestContext;
  origin: Origin;
  api: GitHubEmulator;
  port: RepositoryWorkspacePort & RepositoryBackgroundWork;
  repository: Repository;
  forge: ForgeCredentials;
  logs: string[];
  prepareInput(overrides?: {
    attempt?: Partial<AttemptInfo>;
    job?: Partial<PrepareInput['job']>;
    repository?: Partial<Repository>;
    signal?: AbortSignal;
  }): PrepareInput;
  publishInput(
    workspace: PreparedWorkspace,
    overrides?: Partial<PublishInput> & { attemptNumber?: number },
  ): PublishInput;
  cleanup(): Promise<void>;
}

export const jobId = 'job_7f3a9c21de';
export const fastRetry = { minDelayMs: 5, maxDelayMs: 50, maxElapsedMs: 2_000 };
/** The suffix derived branch names carry for `jobId`. */
export const jobIdHash = createHash('sha256').update(jobId).digest('hex').slice(0, 8);

/** `withOrigin: false` skips creating the bare origin, for tests that must fail before git runs. */
export async function createFixture(
  options: Partial<RepositoryWorkspacesOptions> = {},
  { withOrigin = true, emulator = {} }: { withOrigin?: boolean; emulator?: EmulatorOptions } = {},
): Promise<Fixture> {
  const ctx = await createTestContext();
  const origin = withOrigin ? await createOrigin(ctx) : unusedOrigin(ctx);
  const api = await startGitHubEmulator({ token: forgeToken, ...emulator });
  const port = createRepositoryWorkspaces({
    workspaceDir: ctx.workspaceDir,
    mirrorsDir: ctx.mirrorsDir,
    allowFileRemotes: true,
    environment: ctx.env,
    octokitFetch: fetch,
    // Retries as the runner does them, only quicker: a forge that stays down gives up within seconds.
    retry: fastRetry,
    ...options,
  });
  const repository: Repository = { cloneUrl: origin.cloneUrl, owner: 'acme', name: 'widgets' };
  const forge: ForgeCredentials = { apiBaseUrl: api.url, token: forgeToken };
  const logs: string[] = [];
  const attempt = (number: number, extra: Partial<AttemptInfo> = {}): AttemptInfo => ({
    id: `att_${number}`,
    jobId,
    workspaceId: 'ws_1',
    number,
    leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
    previousSessionId: null,
    branch: null,
    ...extra,
  });
  return {
    ctx,
    origin,
    api,
    port,
    repository,
    forge,
    logs,
    prepareInput(overrides = {}) {
      return {
        job: { id: jobId, title: 'Fix the flaky widget test', ...overrides.job },
        attempt: attempt(overrides.attempt?.number ?? 1, overrides.attempt),
        repository: { ...repository, ...overrides.repository },
        forge,
        signal: overrides.signal ?? new AbortController().signal,
        log: (message) => logs.push(message),
      };
    },
    publishInput(workspace, overrides = {}) {
      const { attemptNumber = 1, ...rest } = overrides;
      return {
        workspace,
        job: { id: jobId, title: 'Fix the flaky widget test', instructions: 'Make it pass.' },
        attempt: attempt(attemptNumber, { branch: attemptNumber > 1 ? workspace.branch : null }),
        repository,
        forge,
        summary: '  Fixed the race in the widget test.\n',
        agentDisplayName: 'Claude Code',
        signal: new AbortController().signal,
        log: (message) => logs.push(message),
        ...rest,
      };
    },
    async cleanup() {
      // A standby work tree still being checked out in the background would race the removal.
      await port.idle();
      await api.close();
      await ctx.cleanup();
    },
  };
}

function unusedOrigin(ctx: TestContext): Origin {
  const dir = join(ctx.root, 'origin', 'missing.git');
  return {
    dir,
    cloneUrl: pathToFileURL(dir).href,
    commit: () => Promise.reject(new Error('this fixture has no origin')),
    tip: () => Promise.resolve(null),
  };
}
