import type { AttemptEvent, AttemptView, JobView } from '@coord/runner-protocol';
import { terminalJobStatuses } from '@coord/runner-protocol';
import { api } from '../server.js';
import type { RunnerRecord } from './fleet.js';

type Server = { url: string; token: string };

/** What the chaos run found wrong, counted (the bench's numbers) and said (the test's messages). */
export interface ChaosFindings {
  completed: number;
  failed: number;
  /** Jobs that never reached a terminal state. */
  lost: number;
  /** Jobs delivered more than once: two successful attempts, two PRs, or one attempt run by two runners. */
  double_runs: number;
  /** Attempts whose events on the server skip a seq, or that ended without their finish event. */
  event_gaps: number;
  /**
   * Reports a restarted runner sent again that the server refused as different from the first:
   * a delivered report the runner then calls dropped.
   */
  report_mismatches: number;
  /** Attempts in all, and those that did not finish on their runner (lost, or reported after a restart). */
  attempts: number;
  attempts_cut_off: number;
  problems: string[];
}

const delivered = new Set<AttemptView['status']>(['succeeded', 'no_changes']);
/** Outcomes after which the server moves a job to a terminal state (a retryable failure requeues). */
const endsJob = (a: AttemptView) =>
  delivered.has(a.status) ||
  a.status === 'cancelled' ||
  (a.status === 'failed' && a.error?.retryable === false);

/** Checks every job the run submitted against the server, the forge and what the runners printed. */
export async function auditJobs(options: {
  server: Server;
  jobIds: readonly string[];
  repositories: readonly { owner: string; name: string }[];
  records: readonly RunnerRecord[];
}): Promise<ChaosFindings> {
  const { server } = options;
  const findings: ChaosFindings = {
    completed: 0,
    failed: 0,
    lost: 0,
    double_runs: 0,
    event_gaps: 0,
    report_mismatches: 0,
    attempts: 0,
    attempts_cut_off: 0,
    problems: [],
  };
  const problem = (text: string) => findings.problems.push(text);
  const pulls = await pullsByJob(server, options.repositories);

  for (const r of options.records) {
    if (r.type === 'runner.error' && /already completed with a different request/.test(r.message ?? '')) {
      findings.report_mismatches += 1;
      problem(`${r.runner} (start ${r.generation}): ${r.message}`);
    }
  }

  for (const jobId of options.jobIds) {
    const { json } = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`);
    const job = json.job;
    const attempts = [...job.attempts].sort((a, b) => a.number - b.number);
    const where = `job ${jobId} (${job.spec.title}, ${job.status}, attempts ${attempts.map((a) => `${a.number}:${a.status}${a.error ? `/${a.error.code}` : ''}`).join(' ')})`;
    let doubled = false;
    findings.attempts += attempts.length;
    findings.attempts_cut_off += attempts.filter(
      (a) => a.status === 'lost' || a.error?.code === 'runner.restarted',
    ).length;

    if (!terminalJobStatuses.includes(job.status)) {
      findings.lost += 1;
      problem(`${where}: never reached a terminal state`);
    } else if (job.status === 'done' || job.status === 'awaiting_review') {
      findings.completed += 1;
    } else {
      findings.failed += 1;
      const why = attempts.at(-1)?.error;
      problem(`${where}: ended ${job.status}${why ? `: ${why.code}: ${why.message.slice(0, 600)}` : ''}`);
    }

    // Terminal exactly once: only the last attempt may have ended the job, and none is still active.
    const enders = attempts.filter(endsJob);
    if (enders.filter((a) => delivered.has(a.status)).length > 1) doubled = true;
    if (enders.length > 1 || (enders.length === 1 && enders[0] !== attempts.at(-1))) {
      problem(`${where}: more than one attempt ended the job, or one ended it before the last`);
    }
    if (terminalJobStatuses.includes(job.status) && attempts.some((a) => a.status === 'active')) {
      problem(`${where}: terminal with an attempt still active`);
    }

    if (job.spec.context.type === 'repository') {
      const prs = pulls.get(jobId) ?? [];
      if (prs.length > 1) doubled = true;
      if (job.status === 'awaiting_review') {
        const pr = attempts.at(-1)?.pullRequest;
        if (prs.length !== 1 || !pr || prs[0]!.number !== pr.number) {
          problem(
            `${where}: PRs on the forge ${JSON.stringify(prs)}, the attempt reports ${JSON.stringify(pr)}`,
          );
        }
      }
    } else if (job.status === 'done' && !attempts.at(-1)?.outputs?.length) {
      problem(`${where}: done without its output file`);
    }

    // One attempt is run by one runner: a second runner claiming it would be a double run.
    for (const attempt of attempts) {
      const claimers = new Set(
        options.records
          .filter((r) => r.type === 'job.claimed' && r.attemptId === attempt.id)
          .map((r) => r.runner),
      );
      if (claimers.size > 1) {
        doubled = true;
        problem(`${where}: attempt ${attempt.number} claimed by ${[...claimers].join(' and ')}`);
      }
    }
    if (doubled) {
      findings.double_runs += 1;
      problem(`${where}: delivered more than once (PRs ${JSON.stringify(pulls.get(jobId) ?? [])})`);
    }

    for (const attempt of attempts) {
      const gap = await eventGap(server, attempt);
      if (gap) {
        findings.event_gaps += 1;
        problem(`${where}: attempt ${attempt.number} ${gap}`);
      }
    }
  }
  return findings;
}

/** Why an attempt's log on the server is not whole, or null: seqs 1..n, and a finish for ended ones. */
async function eventGap(server: Server, attempt: AttemptView): Promise<string | null> {
  const events: AttemptEvent[] = [];
  for (;;) {
    const after = events.at(-1)?.seq ?? 0;
    const { json } = await api<{ events: AttemptEvent[] }>(
      server,
      'GET',
      `/v1/attempts/${attempt.id}/events?after=${after}&limit=1000`,
    );
    events.push(...json.events);
    if (json.events.length < 1000) break;
  }
  const firstGap = events.findIndex((e, i) => e.seq !== i + 1);
  if (firstGap >= 0) return `has seq ${events[firstGap]!.seq} where ${firstGap + 1} belongs`;
  if (attempt.eventsAcked !== events.length)
    return `acks ${attempt.eventsAcked} of ${events.length} events held`;
  // A lost attempt's runner was gone: its log may stop anywhere, but without holes.
  if (attempt.status !== 'lost' && attempt.status !== 'active' && events.at(-1)?.type !== 'job.finished') {
    return `ended ${attempt.status} but its log ends with ${events.at(-1)?.type ?? 'nothing'}`;
  }
  return null;
}

/** Every PR on the forge, by the job its body names (the runner writes "Coord job `<id>`" there). */
async function pullsByJob(
  server: Server,
  repositories: readonly { owner: string; name: string }[],
): Promise<Map<string, { repo: string; number: number; branch: string }[]>> {
  const byJob = new Map<string, { repo: string; number: number; branch: string }[]>();
  for (const repo of repositories) {
    const { json } = await api<{ number: number; body: string | null; head: { ref: string } }[]>(
      server,
      'GET',
      `/forge/api/repos/${repo.owner}/${repo.name}/pulls?state=all`,
    );
    for (const pull of json) {
      const jobId = /Coord job \[?`([^`]+)`/.exec(pull.body ?? '')?.[1] ?? `unknown PR ${pull.number}`;
      const list = byJob.get(jobId) ?? [];
      list.push({ repo: repo.name, number: pull.number, branch: pull.head.ref });
      byJob.set(jobId, list);
    }
  }
  return byJob;
}
