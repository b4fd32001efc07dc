import { styleText } from 'node:util';
import type { RunnerEvent } from '@coord/runner-core';
import { terminalSafe } from './terminal-text.js';

/**
 * With several jobs at once their lines interleave, and a line such as `[running]` or `ok (exit
 * 0)` does not say whose it is. This says it: before a job's line that follows another job's, a
 * header naming the job. The claim and finish lines name their job themselves; one job at a time
 * gets no header at all.
 */
const MAX_TITLES = 256;

export function createJobHeaders(options: { color: boolean }): (event: RunnerEvent) => string | null {
  const titles = new Map<string, string>();
  let last: string | null = null;
  return (event) => {
    if (!('attemptId' in event)) return null;
    if (event.type === 'job.claimed') {
      titles.set(event.attemptId, event.title);
      // A runner that runs for weeks: the oldest titles go (a late line of theirs gets the id alone).
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
