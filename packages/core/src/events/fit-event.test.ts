import { MAX_EVENT_BYTES } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { fitEventData } from './fit-event.js';

const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

describe('fitEventData', () => {
  it('leaves an event that fits alone', () => {
    const data = { event: { type: 'tool.output', chunk: 'hello' } };
    expect(fitEventData(data)).toBe(data);
  });

  it('cuts a huge string and says so, keeping the rest of the event', () => {
    const data = { event: { type: 'tool.output', toolCallId: 't1', chunk: 'x'.repeat(2_000_000) } };
    const fitted = fitEventData(data) as { event: { type: string; toolCallId: string; chunk: string } };
    expect(size(fitted)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(fitted.event.type).toBe('tool.output');
    expect(fitted.event.toolCallId).toBe('t1');
    expect(fitted.event.chunk).toMatch(/^x+… \[\d+ more characters cut by the runner\]$/);
  });

  it('measures bytes, not characters (multi-byte text)', () => {
    const fitted = fitEventData({ text: '✓'.repeat(200_000) });
    expect(size(fitted)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
  });

  it('counts escapes as the bytes they take (a control character is 6)', () => {
    const data = { chunk: '\u0001'.repeat(50_000) };
    expect(size(data)).toBeGreaterThan(MAX_EVENT_BYTES);
    const fitted = fitEventData(data);
    expect(fitted).not.toBe(data);
    expect(size(fitted)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
  });

  it('leaves an event just under the limit as it is, and measures what serializes otherwise (toJSON)', () => {
    const near = { chunk: 'x'.repeat(MAX_EVENT_BYTES - 2_000) };
    expect(fitEventData(near)).toBe(near);
    const sneaky = { value: { toJSON: () => 'x'.repeat(400_000) } };
    expect(size(fitEventData(sneaky))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
  });

  it('falls back to a note when many small strings cannot be made to fit', () => {
    const fitted = fitEventData({ items: Array.from({ length: 100_000 }, () => 'abcdefgh') });
    expect(fitted).toMatchObject({ truncated: true });
    expect(size(fitted)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
  });
});
