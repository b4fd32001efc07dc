import type { Page } from 'playwright-core';

/**
 * What the UI benches share: a realistic agent log line, frame times while scrolling, and the
 * page's heap after a GC.
 */

/** Event `seq` of a big log: mostly command output, a tool call every 50 lines, a message every 500. */
export function benchLogEvent(seq: number): Record<string, unknown> {
  return seq % 500 === 0
    ? {
        type: 'message.completed',
        role: 'assistant',
        text: `Checked ${seq} lines so far; continuing with the next module.`,
      }
    : seq % 50 === 0
      ? {
          type: 'tool.started',
          toolCallId: `t${seq}`,
          name: 'Bash',
          kind: 'shell',
          title: `Run step ${seq}`,
          input: { command: `make step-${seq}` },
        }
      : {
          type: 'tool.output',
          toolCallId: `t${seq - (seq % 50)}`,
          stream: 'stdout',
          chunk: `[${seq}] compiling src/module/file-${seq % 977}.ts ... ok\n`,
        };
}

export interface ScrollFrames {
  /** Main-thread milliseconds of each frame that showed a scroll step. */
  work: number[];
  /** Frames during the scroll that took over 50 ms, from any cause (the Long Animation Frames API). */
  longFrames: number;
}

/**
 * Scrolls `selector` by big steps, one per frame (as a fling or a dragged scrollbar does), and
 * times the main thread's work for each frame that shows a step: from its scroll event (where
 * the virtualized list renders the new rows) to the end of that frame's rendering (style,
 * layout, resize observers, paint), which is when a task posted from the frame's
 * requestAnimationFrame callback runs. Why not the time between animation frames: headless
 * Chromium starts a frame at most every 16.7 ms (vsync at 60 Hz), so that interval reads 16.7
 * for every frame that met its deadline and cannot tell a 3 ms frame from a 16 ms one. A frame
 * whose work overruns still shows here as the overrun, and tasks between frames (pages arriving)
 * that stall one for over 50 ms are counted by `longFrames`.
 */
export async function scrollFrames(page: Page, selector: string, count: number): Promise<ScrollFrames> {
  return page.evaluate(
    async ([sel, n]) => {
      const scroller = document.querySelector(sel as string)!;
      let longFrames = 0;
      const observer = new PerformanceObserver((list) => (longFrames += list.getEntries().length));
      observer.observe({ type: 'long-animation-frame' });
      let scrolledAt: number | null = null;
      // Capture on the document runs before the list's own listener on the scroller. (No named
      // functions in here: tsx would wrap them in a helper the page does not have.)
      const listening = new AbortController();
      document.addEventListener('scroll', () => (scrolledAt ??= performance.now()), {
        capture: true,
        signal: listening.signal,
      });
      const work: number[] = [];
      for (let i = 0; i < (n as number); i++) {
        const bottom = scroller.scrollHeight - scroller.clientHeight;
        const next = scroller.scrollTop + (i % 60 < 50 ? 1500 : scroller.scrollHeight / 7);
        scrolledAt = null;
        // Past the bottom it starts again near the top, so every step really scrolls.
        scroller.scrollTop = next > bottom ? next - bottom : next;
        const done = await new Promise<number>((resolve) =>
          requestAnimationFrame(() => {
            const channel = new MessageChannel();
            channel.port1.onmessage = () => resolve(performance.now());
            channel.port2.postMessage(null);
          }),
        );
        if (scrolledAt !== null) work.push(done - scrolledAt);
      }
      listening.abort();
      longFrames += observer.takeRecords().length;
      observer.disconnect();
      return { work, longFrames };
    },
    [selector, count] as const,
  );
}

/** The page's JS heap in MB, after a full GC. */
export async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  return round1(heap.usedSize / 1024 / 1024);
}

export const round1 = (n: number) => Math.round(n * 10) / 10;

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}
