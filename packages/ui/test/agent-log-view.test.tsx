import type { AttemptEvent } from '@coord/runner-protocol';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentLogView, ArrayLogSource, PagedLogSource } from '../src/index.js';

const at = '2026-01-01T00:00:00.000Z';
function log(n: number): AttemptEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const seq = i + 1;
    const event =
      seq % 100 === 0
        ? {
            type: 'tool.started',
            toolCallId: `t${seq}`,
            name: 'run',
            kind: 'shell',
            title: `Run step ${seq}`,
            input: { command: ['make', `step${seq}`] },
          }
        : { type: 'tool.output', toolCallId: 't', stream: 'stdout', chunk: `line ${seq}\n` };
    return { seq, at, type: 'job.agent', data: { event } };
  });
}

const rect = { width: 800, height: 600 };

// happy-dom does no layout: give the scroller a viewport and each row a height, as a browser would.
beforeAll(() => {
  const scroller = (el: HTMLElement) => el.classList.contains('cr-log-scroll');
  const define = (name: string, get: (el: HTMLElement) => number) =>
    Object.defineProperty(HTMLElement.prototype, name, {
      configurable: true,
      get() {
        return get(this as HTMLElement);
      },
    });
  define('clientHeight', (el) => (scroller(el) ? 600 : 28));
  define('clientWidth', () => 800);
  define('offsetHeight', (el) => (scroller(el) ? 600 : 28));
  define('offsetWidth', () => 800);
});
const rows = () =>
  [...document.querySelectorAll('.cr-log-row')].map((r) => Number(r.getAttribute('data-index')));

describe('AgentLogView', () => {
  it('an empty log says what will appear', () => {
    render(<AgentLogView source={new ArrayLogSource()} initialRect={rect} />);
    expect(screen.getByText('No output yet')).toBeTruthy();
  });

  it('draws only a window of a long log, fetching just those pages', async () => {
    const all = log(100_000);
    const fetched: number[] = [];
    const source = new PagedLogSource({
      length: all.length,
      pageSize: 100,
      fetchPage: async (after, limit) => {
        fetched.push(after);
        return all.slice(after, after + limit);
      },
    });
    render(<AgentLogView source={source} initialRect={rect} follow={false} />);
    await screen.findByText('line 1');
    expect(rows().length).toBeLessThan(60);
    expect(fetched).toEqual([0]);
    expect(screen.getByText('100,000 events')).toBeTruthy();
  });

  // Scrolling itself (follow, the jumps landing on screen) is checked in real Chromium: tests/browser.
  it('search finds the next and previous match, and says when there is none', async () => {
    const source = new ArrayLogSource(log(5000));
    render(<AgentLogView source={source} initialRect={rect} follow={false} />);
    const search = screen.getByRole('searchbox', { name: 'Search the log' });
    fireEvent.change(search, { target: { value: 'LINE 432' } });
    fireEvent.keyDown(search, { key: 'Enter' });
    expect((await screen.findByRole('status')).textContent).toBe('Match for “LINE 432” at event 432.');
    fireEvent.keyDown(search, { key: 'Enter' });
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toBe('Match for “LINE 432” at event 4,320.'),
    );
    fireEvent.keyDown(search, { key: 'Enter', shiftKey: true });
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toBe('Match for “LINE 432” at event 432.'),
    );
    fireEvent.change(search, { target: { value: 'no such text' } });
    fireEvent.keyDown(search, { key: 'Enter' });
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('No match for “no such text”.'));
  });

  it('] and [ jump between tool calls; f toggles follow', async () => {
    const source = new ArrayLogSource(log(1000));
    render(<AgentLogView source={source} initialRect={rect} follow={false} />);
    const view = document.querySelector('.cr-log')!;
    const status = () => screen.getByRole('status').textContent;
    fireEvent.keyDown(view, { key: ']' });
    await waitFor(() => expect(status()).toBe('Tool call at event 100.'));
    fireEvent.keyDown(view, { key: ']' });
    await waitFor(() => expect(status()).toBe('Tool call at event 200.'));
    fireEvent.keyDown(view, { key: '[' });
    await waitFor(() => expect(status()).toBe('Tool call at event 100.'));
    const follow = screen.getByRole('checkbox', { name: /Follow/ });
    expect(follow).toHaveProperty('checked', false);
    fireEvent.keyDown(view, { key: 'f' });
    expect(follow).toHaveProperty('checked', true);
  });

  it('draws a run of streamed deltas as one block: each channel labelled once', async () => {
    const delta = (seq: number, channel: string, text: string): AttemptEvent => ({
      seq,
      at,
      type: 'job.agent',
      data: { event: { type: 'message.delta', channel, text } },
    });
    const source = new ArrayLogSource([
      delta(1, 'reasoning', 'Look at the parser.\n'),
      delta(2, 'reasoning', 'It drops the last line.\n'),
      delta(3, 'text', 'The parser drops the last line.\n'),
      delta(4, 'text', 'Fixed in parser.ts.'),
      { seq: 5, at, type: 'job.state', data: { state: 'finishing' } },
      delta(6, 'text', 'One more thing.'),
    ]);
    render(<AgentLogView source={source} initialRect={rect} follow={false} />);
    await screen.findByText('Fixed in parser.ts.');
    const continued = [...document.querySelectorAll('.cr-log-row')].map((r) =>
      r.classList.contains('cr-continues'),
    );
    expect(continued).toEqual([false, true, false, true, false, false]);
    const shownLabels = [...document.querySelectorAll('.cr-entry-label:not(.cr-label-kept)')].map(
      (l) => l.textContent,
    );
    expect(shownLabels).toEqual(['Thinking', 'Agent', 'Agent']);
  });

  it('live events grow the count', () => {
    const source = new ArrayLogSource(log(50));
    render(<AgentLogView source={source} initialRect={rect} />);
    act(() => source.append(log(2000).slice(50)));
    expect(screen.getByText('2,000 events')).toBeTruthy();
  });

  it('a page that fails to load says so and what to do', async () => {
    const source = new PagedLogSource({
      length: 10,
      fetchPage: async () => Promise.reject(new Error('HTTP 502')),
    });
    render(<AgentLogView source={source} initialRect={rect} />);
    expect((await screen.findByRole('alert')).textContent).toContain('The log could not be loadedHTTP 502');
  });
});

describe('PagedLogSource', () => {
  it('keeps a bounded number of pages and refetches evicted ones', async () => {
    const all = log(10_000);
    let fetches = 0;
    const source = new PagedLogSource({
      length: all.length,
      pageSize: 100,
      maxPages: 4,
      fetchPage: async (after, limit) => (fetches++, all.slice(after, after + limit)),
    });
    for (let p = 0; p < 10; p++) await source.ensure(p * 100, p * 100 + 1);
    expect(source.get(0)).toBeUndefined();
    expect(source.get(999)?.seq).toBe(1000);
    await source.ensure(0, 1);
    expect(source.get(0)?.seq).toBe(1);
    expect(fetches).toBe(11);
  });

  it('appended live events grow the length and fill the last page', async () => {
    const all = log(150);
    const source = new PagedLogSource({
      length: 120,
      pageSize: 100,
      fetchPage: async (after, limit) => all.slice(after, Math.min(after + limit, 120)),
    });
    await source.ensure(100, 120);
    source.append(all.slice(120));
    expect(source.length()).toBe(150);
    expect(source.get(149)?.seq).toBe(150);
  });
});
