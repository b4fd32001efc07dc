import type { AttemptState } from '@coord/runner-core';

/**
 * How each attempt state reads at the terminal, in the status area and in the followed log: what
 * the runner is doing, not the machine's state name.
 */
export const STATE_LABELS: Record<AttemptState, string> = {
  claimed: 'claimed, starting',
  preparing: 'preparing the work directory',
  running: 'agent working',
  awaiting_input: 'waiting for an answer',
  retrying: 'retrying the agent',
  stopping: 'stopping',
  publishing: 'publishing (push, pull request, outputs)',
  reporting: 'reporting to the server',
  done: 'done',
  lease_lost: 'lease lost: the server gave the job to another runner',
};
