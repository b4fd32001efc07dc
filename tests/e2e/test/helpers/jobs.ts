import type { JobSubmission } from '@coord/runner-protocol';

/** A local job whose only step prints its pid and then runs for a minute. */
export const longRunningJob = (title: string, extra: Partial<JobSubmission> = {}): JobSubmission => ({
  title,
  instructions: 'Run for a long time.',
  context: { type: 'local' },
  agent: {
    id: 'demo',
    plan: [
      {
        type: 'run',
        command: [process.execPath, '-e', 'console.log("pid", process.pid); setTimeout(() => {}, 60000)'],
      },
    ],
  },
  routing: { mode: 'any' },
  ...extra,
});
