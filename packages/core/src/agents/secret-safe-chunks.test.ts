import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactJson, registerSecret } from '../redact.js';
import type { AgentEvent } from './agent-event.js';
import { createSecretSafeChunker } from './secret-safe-chunks.js';

const output = (chunk: string, toolCallId = 't1'): AgentEvent => ({
  type: 'tool.output',
  toolCallId,
  stream: 'stdout',
  chunk,
});

/** What a viewer of the redacted events would read for tool t1's stdout. */
function shown(events: readonly AgentEvent[], toolCallId = 't1'): string {
  return events
    .map((e) => redactJson(e))
    .flatMap((e) => (e.type === 'tool.output' && e.toolCallId === toolCallId ? [e.chunk] : []))
    .join('');
}

/** Feeds `text` through the chunker cut at every position in `cuts`, then ends the tool. */
function stream(text: string, cuts: number[]): AgentEvent[] {
  const chunker = createSecretSafeChunker();
  const out: AgentEvent[] = [];
  let from = 0;
  for (const at of [...cuts, text.length]) {
    out.push(...chunker.push(output(text.slice(from, at))));
    from = at;
  }
  out.push(...chunker.push({ type: 'tool.completed', toolCallId: 't1', status: 'ok' }));
  return out;
}

describe('createSecretSafeChunker', () => {
  const secret = `coordtest-${randomBytes(24).toString('hex')}`;
  registerSecret(secret);

  it('never lets a registered secret through, wherever the chunks cut it', () => {
    const text = `before ${secret} after\nline two ${secret}`;
    for (let at = 1; at < text.length; at++) {
      const events = stream(text, [at]);
      const seen = shown(events);
      expect(seen).not.toContain(secret.slice(10, 30));
      expect(seen).toBe(`before *** after\nline two ***`);
    }
  });

  it('never lets a token of a known format through when it is split, e.g. ghp_', () => {
    const token = `ghp_${'A1b2C3d4'.repeat(5)}`;
    const text = `token: ${token} done\n`;
    for (let at = 1; at < text.length; at++) {
      const seen = shown(stream(text, [at]));
      expect(seen).toBe('token: ghp_*** done\n');
    }
  });

  it('never lets a private key through, though it spans lines, wherever the chunks cut it', () => {
    const body = Array.from({ length: 26 }, () => randomBytes(48).toString('base64')).join('\n');
    const text = `$ cat key\n-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----\nok\n`;
    for (let at = 1; at < text.length; at += 3) {
      const seen = shown(stream(text, [at, Math.min(text.length, at + 40)]));
      for (const line of body.split('\n')) expect(seen).not.toContain(line.slice(0, 12));
      expect(seen).toBe('$ cat key\n-----BEGIN EC PRIVATE KEY-----***\nok\n');
    }
  });

  it('passes whole lines at once and holds back only a partial last line', () => {
    const chunker = createSecretSafeChunker();
    expect(chunker.push(output('one\ntwo\n'))).toEqual([output('one\ntwo\n')]);
    expect(chunker.push(output('three\nfou'))).toEqual([output('three\n')]);
    expect(chunker.push({ type: 'tool.completed', toolCallId: 't1', status: 'ok' })).toEqual([
      output('fou'),
      { type: 'tool.completed', toolCallId: 't1', status: 'ok' },
    ]);
  });

  it('keeps streams apart and lets the rest of a huge line through as it comes', () => {
    const chunker = createSecretSafeChunker();
    const first = chunker.push(output('x'.repeat(100_000)));
    expect(first).toHaveLength(1);
    expect((first[0] as { chunk: string }).chunk.length).toBeGreaterThan(99_000);
    expect(chunker.push(output('other', 't2'))).toEqual([]);
    const rest = chunker.push({ type: 'process.exited', code: 0, signal: null, sawTurnEnd: true });
    expect(rest.map((e) => e.type)).toEqual(['tool.output', 'tool.output', 'process.exited']);
    expect(shown(rest, 't2')).toBe('other');
  });

  it('re-cuts text deltas too, releasing them when anything else happens', () => {
    const chunker = createSecretSafeChunker();
    const half = Math.floor(secret.length / 2);
    const out = [
      ...chunker.push({ type: 'message.delta', channel: 'text', text: `key ${secret.slice(0, half)}` }),
      ...chunker.push({ type: 'message.delta', channel: 'text', text: `${secret.slice(half)} ok` }),
      ...chunker.push({ type: 'message.completed', role: 'assistant', text: 'done' }),
    ];
    const text = out
      .map((e) => redactJson(e))
      .flatMap((e) => (e.type === 'message.delta' ? [e.text] : []))
      .join('');
    expect(text).toBe('key *** ok');
    expect(out.at(-1)!.type).toBe('message.completed');
  });

  it('flush() hands back what is still held', () => {
    const chunker = createSecretSafeChunker();
    chunker.push(output('partial'));
    expect(chunker.flush()).toEqual([output('partial')]);
    expect(chunker.flush()).toEqual([]);
  });
});
