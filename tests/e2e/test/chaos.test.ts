import { describe, expect, it } from 'vitest';
import { chaosSeed, runChaos } from './helpers/chaos/run-chaos.js';

// Replay a failing run with COORD_CHAOS_SEED=<the seed in the failure message>.
describe('chaos: runners killed with kill -9 and a server restart while 60 jobs run', () => {
  it('ends every job once, one PR per repository job, every attempt log whole, no process left', async () => {
    const seed = chaosSeed();
    const report = await runChaos({ seed, runners: 3, jobs: 60, kills: 6, serverRestarts: 1 }).catch(
      (error: unknown) => {
        throw new Error(`chaos run with seed ${seed} failed: ${String(error)}`, { cause: error });
      },
    );
    const summary = `seed ${seed} (COORD_CHAOS_SEED=${seed} replays it)\n${report.problems.join('\n')}\n${report.timeline.join('\n')}`;
    expect(
      {
        jobs: report.jobs,
        completed: report.completed,
        failed: report.failed,
        lost: report.lost,
        double_runs: report.double_runs,
        event_gaps: report.event_gaps,
        report_mismatches: report.report_mismatches,
        orphans: report.orphans,
        problems: report.problems.length,
      },
      summary,
    ).toEqual({
      jobs: 60,
      completed: 60,
      failed: 0,
      lost: 0,
      double_runs: 0,
      event_gaps: 0,
      report_mismatches: 0,
      orphans: 0,
      problems: 0,
    });
    // The chaos happened: every kill and the restart, at least one kill cutting off running work.
    expect({ kills: report.kills, server_restarts: report.server_restarts }, summary).toEqual({
      kills: 6,
      server_restarts: 1,
    });
    expect(report.kills_mid_job, summary).toBeGreaterThan(0);
  }, 240_000);
});
