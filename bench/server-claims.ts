import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  RUNNER_ID_HEADER,
  routes,
  type AssignmentEnvelope,
  type ClaimRequest,
  type CompleteRequest,
  type JobSubmission,
  type RegisterRunnerRequest,
} from '@coord/runner-protocol';
import { startServerProcess } from './processes.js';
import { round } from './stats.js';

/**
 * What the local server alone sustains of `pnpm bench claims`: the same burst (jobs made Ready
 * at once, each finished at once with the seven events a short job sends), claimed and completed
 * by bare protocol clients (node:http, no runner) in one process, the server in its own.
 * `client_cpu_ms_per_job` is what the two HTTP requests of a job cost a client that does nothing
 * else: the floor under any runner's share of `pnpm bench claims`.
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: 'string', default: '2000' },
      clients: { type: 'string', default: '32' },
    },
  });
  const result = await measureServerClaims({ jobs: Number(values.jobs), clients: Number(values.clients) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export interface ServerClaimsResult {
  bench: 'server-claims';
  jobs: number;
  clients: number;
  jobs_per_s: number;
  server_cpu_ms_per_job: number;
  client_cpu_ms_per_job: number;
  double_claims: number;
  node: string;
}

export async function measureServerClaims(options: {
  jobs: number;
  clients: number;
}): Promise<ServerClaimsResult> {
  const root = mkdtempSync(join(tmpdir(), 'coord-bench-server-claims-'));
  const server = await startServerProcess(join(root, 'server'));
  const call = protocolClient(server.url, server.token);
  try {
    const ids: string[] = [];
    for (let i = 0; i < options.jobs; i++) {
      const submission: JobSubmission = {
        title: `burst job ${i}`,
        instructions: 'finish at once',
        context: { type: 'local' },
        agent: { id: 'demo', plan: [{ type: 'say', text: 'done' }] },
        routing: { mode: 'any' },
        status: 'backlog',
      };
      ids.push((await call<{ job: { id: string } }>(routes.submitJob('local'), submission)).job.id);
    }
    const runnerIds: string[] = [];
    for (let i = 0; i < options.clients; i++) {
      const registration: RegisterRunnerRequest = {
        machineId: `bench-server-claims-${i}`,
        name: `client-${i}`,
        platform: 'linux',
        arch: 'x64',
        version: 'bench',
        agents: [{ id: 'demo', state: 'detected', version: 'bench', enabled: true }],
        capacity: 1,
      };
      runnerIds.push((await call<{ runner: { id: string } }>(routes.register(), registration)).runner.id);
    }

    const claimed = new Map<string, number>();
    let completed = 0;
    const t0 = performance.now();
    const client0 = process.cpuUsage();
    const server0 = server.cpuMs();
    await call(routes.readyJobs(), { jobIds: ids });
    await Promise.all(
      runnerIds.map(async (runnerId) => {
        while (completed < options.jobs) {
          const claim: ClaimRequest = { waitMs: 200, activeAttemptIds: [] };
          const { assignment } = await call<{ assignment: AssignmentEnvelope | null }>(
            routes.claim(runnerId),
            claim,
            runnerId,
          );
          if (!assignment) continue;
          const { jobId, id: attemptId } = assignment.attempt;
          claimed.set(jobId, (claimed.get(jobId) ?? 0) + 1);
          await call(routes.complete(attemptId), shortJobReport(), runnerId);
          completed += 1;
        }
      }),
    );
    const elapsedMs = performance.now() - t0;
    const client = process.cpuUsage(client0);
    return {
      bench: 'server-claims',
      jobs: options.jobs,
      clients: options.clients,
      jobs_per_s: Math.round(options.jobs / (elapsedMs / 1000)),
      server_cpu_ms_per_job: round((server.cpuMs() - server0) / options.jobs),
      client_cpu_ms_per_job: round((client.user + client.system) / 1000 / options.jobs),
      double_claims: [...claimed.values()].filter((n) => n > 1).length,
      node: process.version,
    };
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The report of a short local job, with its events as the runner sends them (one batch). */
function shortJobReport(): CompleteRequest {
  const at = new Date().toISOString();
  const states = ['preparing', 'running', 'finishing', 'reporting'].map((state) => ({
    type: 'job.state',
    data: { state },
  }));
  const events = [
    { type: 'job.claimed', data: { attemptNumber: 1, workspaceId: 'local', title: 'x', agent: 'demo' } },
    ...states.slice(0, 2),
    { type: 'job.agent', data: { event: { type: 'turn.completed', status: 'completed' } } },
    ...states.slice(2),
    { type: 'job.finished', data: { outcome: 'no_changes' } },
  ].map((event, i) => ({ seq: i + 1, at, ...event }));
  return { outcome: 'no_changes', outputs: [], lastSeq: events.length, events };
}

/** POSTs JSON over one keep-alive agent and parses the answer; anything but 2xx throws with the body. */
function protocolClient(baseUrl: string, token: string) {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true });
  return <T = unknown>(path: string, body: unknown, runnerId?: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
        'content-type': 'application/json',
        ...(runnerId ? { [RUNNER_ID_HEADER]: runnerId } : {}),
      };
      const request = http.request(
        { host: url.hostname, port: url.port, path, method: 'POST', headers, agent },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(JSON.parse(text) as T);
            else reject(new Error(`POST ${path} answered ${status}: ${text.slice(0, 500)}`));
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify(body));
    });
}
