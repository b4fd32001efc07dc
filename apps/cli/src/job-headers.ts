import { styleText } from 'node:util';
import type { RunnerEvent } from '@coord/runner-core';
import { terminalSafe } from './terminal-text.js';

/** Titles kept for headers; a runner that runs for weeks lets the oldest go. */
const MAX_TITLES = 256;

/**
 * With several jobs at once their lines interleave, and a line such as `◦ agent working` or `ok
 * (exit 0)` does not say whose it is. This says it: before a job's line that follows another
 * job's, a header naming the job. The claim and finish lines name their job themselves; one job
 * at a time gets no header at all.
 */
export function createJobHeaders(options: { color: boolean }): (event: RunnerEvent) => string | null {
  const titles = new Map<string, string>();
  let last: string | null = null;
  return (event) => {
    if (!('attemptId' in event)) return null;
    if (event.type === 'job.claimed') {
      titles.set(event.attemptId, event.title);
      // A late line of a job whose title went gets the id alone.
      if (titles.size > MAX_TITLES) titles.delete(titles.keys().next().value!);
    }
    const changed = last !== event.attemptId;
    last = event.attemptId;
    if (!changed || event.type === 'job.claimed' || event.type === 'job.finished') return null;
    const title = titles.get(event.attemptId);
    const text = terminalSafe(`▷ job ${event.jobId}${title === undefined ? '' : ` "${title}"`}`);
    return options.color ? styleText('bold', text) : text;
  };
}
