import type { RunnerEvent, StatusSnapshot } from '@coord/runner-core';
import { createLogUpdate } from 'log-update';
import { renderStatus } from './status-view.js';

export interface StatusArea {
  /** Feed every runner event here (it keeps when each attempt entered its state). */
  onEvent(event: RunnerEvent): void;
  /** Prints text above the area, where it stays in the scrollback. */
  print(text: string): void;
  /** Takes the area off the screen while something else owns it (a prompt). */
  pause(): void;
  resume(): void;
  /** Takes the area off the screen for good. */
  close(): void;
}

export interface StatusAreaOptions {
  stream: NodeJS.WriteStream;
  /** The control API's snapshot (or null while there is none yet). */
  status(): Promise<StatusSnapshot | null>;
  color: boolean;
  /** How often it redraws: the clocks and the spinner move, the snapshot is read afresh. */
  intervalMs?: number;
  now?: () => number;
}

/**
 * The live status area under the log lines of `coord-runner start` at a terminal: log-update
 * redraws it in place (erasing only its own lines), and a line printed meanwhile is written
 * above it, so the log scrolls as before and the area stays at the bottom.
 */
export function createStatusArea(options: StatusAreaOptions): StatusArea {
  const { stream } = options;
  const now = options.now ?? Date.now;
  // The cursor stays visible: prompts (inquirer) share this terminal.
  const area = createLogUpdate(stream, { showCursor: true });
  const stateSince = new Map<string, number>();
  let snapshot: StatusSnapshot | null = null;
  let frame = 0;
  let paused = false;
  let closed = false;
  let reading = false;

  const draw = () => {
    if (paused || closed || !snapshot) return;
    const lines = renderStatus(snapshot, {
      now: now(),
      color: options.color,
      columns: stream.columns || 80,
      frame,
      stateSince,
    });
    area(lines.join('\n'));
  };

  const tick = async () => {
    frame += 1;
    if (reading) return draw();
    reading = true;
    try {
      snapshot = (await options.status()) ?? snapshot;
    } catch {
      // The snapshot failed once (the runner is stopping): the last one is shown until the next.
    } finally {
      reading = false;
    }
    draw();
  };
  const timer = setInterval(() => void tick(), options.intervalMs ?? 250);
  timer.unref();
  void tick();

  return {
    onEvent(event) {
      if (event.type === 'job.state') stateSince.set(event.attemptId, event.at);
      else if (event.type === 'job.claimed') stateSince.set(event.attemptId, event.at);
      else if (event.type === 'job.finished') stateSince.delete(event.attemptId);
      // What changed is shown at once, not at the next tick.
      if (event.type !== 'job.agent' || event.event.type === 'message.completed') void tick();
    },
    print(text) {
      if (paused || closed || !snapshot) return void stream.write(text);
      area.clear();
      stream.write(text);
      draw();
    },
    pause() {
      if (paused) return;
      paused = true;
      area.clear();
    },
    resume() {
      if (!paused) return;
      paused = false;
      draw();
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      area.clear();
      area.done();
    },
  };
}
