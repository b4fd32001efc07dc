import { Observable, Subject } from 'rxjs';

export interface EventChannel<T> {
  readonly events$: Observable<T>;
  next(value: T): void;
  complete(): void;
}

/**
 * A hot stream that loses nothing before its first subscriber: values are buffered (at most
 * `earlyLimit`, oldest dropped first) until someone subscribes, handed to that first subscriber,
 * and from then on only multicast live. A ReplaySubject would hold the whole run (hours of
 * output) for late subscribers; the runner subscribes right after `start()` and keeps the full
 * log on disk, so later subscribers get the live part only. Memory stays bounded either way.
 */
export function createEventChannel<T>(
  earlyLimit = 10_000,
  onDropped?: (count: number) => T,
): EventChannel<T> {
  const live = new Subject<T>();
  let early: T[] | null = [];
  let dropped = 0;
  let completed = false;

  const events$ = new Observable<T>((subscriber) => {
    const buffered = early;
    early = null;
    if (buffered) {
      if (dropped > 0 && onDropped) subscriber.next(onDropped(dropped));
      for (const value of buffered) subscriber.next(value);
    }
    if (completed) {
      subscriber.complete();
      return undefined;
    }
    return live.subscribe(subscriber);
  });

  return {
    events$,
    next(value) {
      if (completed) return;
      if (early) {
        early.push(value);
        if (early.length > earlyLimit) {
          early.shift();
          dropped += 1;
        }
      } else {
        live.next(value);
      }
    },
    complete() {
      if (completed) return;
      completed = true;
      live.complete();
    },
  };
}
