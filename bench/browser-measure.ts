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

/** Scrolls `selector` by big steps every frame (as a fling or a dragged scrollbar does); frame times. */
export async function scrollFrames(page: Page, selector: string, count: number): Promise<number[]> {
  return page.evaluate(
    async ([sel, n]) => {
      const scroller = document.querySelector(sel as string)!;
      const times: number[] = [];
      let last = performance.now();
      for (let i = 0; i < (n as number); i++) {
        scroller.scrollTop += i % 60 < 50 ? 1500 : scroller.scrollHeight / 7;
        const now = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
        times.push(now - last);
        last = now;
      }
      return times;
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
