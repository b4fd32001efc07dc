import { filter, takeWhile, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import type { JobEvent, RunnerEvent, RunnerEventOf, RunnerEventType } from './runner-event.js';

/** Keeps only events of the given types, narrowing the type. */
export function ofType<T extends RunnerEventType>(
  ...types: T[]
): OperatorFunction<RunnerEvent, RunnerEventOf<T>> {
  const wanted = new Set<RunnerEventType>(types);
  return filter((event): event is RunnerEventOf<T> => wanted.has(event.type));
}

/** Keeps only the events of one job. */
export function forJob(jobId: string): OperatorFunction<RunnerEvent, JobEvent> {
  return filter((event): event is JobEvent => 'jobId' in event && event.jobId === jobId);
}

/** Completes after the first `job.finished` (inclusive). */
export function untilFinished<T extends RunnerEvent>(): MonoTypeOperatorFunction<T> {
  return takeWhile((event) => event.type !== 'job.finished', true);
}
