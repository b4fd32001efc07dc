import { toArray, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createEventChannel } from './event-channel.js';

describe('createEventChannel', () => {
  it('hands everything emitted before the first subscription to the first subscriber', async () => {
    const channel = createEventChannel<number>();
    channel.next(1);
    channel.next(2);
    const all = firstValueFrom(channel.events$.pipe(toArray()));
    channel.next(3);
    channel.complete();
    expect(await all).toEqual([1, 2, 3]);
  });

  it('is live-only for later subscribers and completes them when done', async () => {
    const channel = createEventChannel<number>();
    const first: number[] = [];
    channel.events$.subscribe((v) => first.push(v));
    channel.next(1);
    const second = firstValueFrom(channel.events$.pipe(toArray()));
    channel.next(2);
    channel.complete();
    expect(first).toEqual([1, 2]);
    expect(await second).toEqual([2]);
    expect(await firstValueFrom(channel.events$.pipe(toArray()))).toEqual([]);
  });

  it('keeps at most earlyLimit values and reports how many it dropped', async () => {
    const channel = createEventChannel<number | string>(2, (n) => `dropped ${n}`);
    for (const v of [1, 2, 3, 4]) channel.next(v);
    channel.complete();
    expect(await firstValueFrom(channel.events$.pipe(toArray()))).toEqual(['dropped 2', 3, 4]);
  });
});
