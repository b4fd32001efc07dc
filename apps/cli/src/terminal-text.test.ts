import { describe, expect, it } from 'vitest';
import { tableRows, terminalJson, terminalSafe } from './terminal-text.js';

/** Anything a terminal would act on: ESC, BEL, C1 controls, DEL, backspace, bidi overrides. */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const hostile: [what: string, input: string, shown: string][] = [
  ['a title change (OSC 0, BEL)', 'x\u001b]0;pwned\u0007y', 'xy'],
  ['a title change with spaces', '\u001b]0;you have been pwned\u0007ok', 'ok'],
  ['an OSC 8 hyperlink', '\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\', 'click'],
  ['colours and line erasing', '\u001b[31mred\u001b[0m \u001b[2K\u001b[1A', 'red '],
  ['an 8-bit CSI', 'a\u009b2Jb', 'ab'],
  ['a lone ESC', 'a\u001b', 'a\\x1b'],
  ['an unterminated OSC', 'a\u001b]0;title', 'a0;title'],
  [
    'backspaces that hide text',
    'rm -rf /\b\b\b\b\b\b\b\bls',
    'rm -rf /\\x08\\x08\\x08\\x08\\x08\\x08\\x08\\x08ls',
  ],
  ['a carriage return that overwrites the line', 'evil\rgood', 'evil\ngood'],
  ['a right-to-left override', 'file\u202eexe.txt', 'file\\u{202e}exe.txt'],
  ['DEL and NUL', 'a\u007fb\u0000c', 'a\\x7fb\\x00c'],
  ['a device status query (answered by the terminal into stdin)', '\u001b[6n', ''],
];

describe('terminalSafe', () => {
  it.each(hostile)('neutralises %s', (_what, input, shown) => {
    const out = terminalSafe(input);
    expect(out).not.toMatch(ACTIVE);
    expect(out).toBe(shown);
  });

  it('keeps plain text, tabs, newlines and non-Latin scripts as they are', () => {
    const text = 'ok\tdone\nÜber 日本語 עברית ✓ ▸';
    expect(terminalSafe(text)).toBe(text);
  });
});

describe('terminalJson', () => {
  it('escapes C1 controls and bidi overrides and stays the same JSON value', () => {
    const value = { title: 'a\u009b2Jb\u202ec\u001b[31m', n: 1 };
    const out = terminalJson(value);
    expect(out).not.toMatch(ACTIVE);
    expect(JSON.parse(out)).toEqual(value);
  });
});

describe('tableRows', () => {
  const long = `2026-12-03 08:42:43  job_1  #1  failed  demo  0 s  A failing command agent.failed: ${'x'.repeat(200)}`;

  it('cuts each row to the width at a terminal, so none wraps', () => {
    const out = tableRows([long, 'short row'], 80).split('\n');
    expect(out).toHaveLength(2);
    expect([...out[0]!].length).toBeLessThan(80);
    expect(out[0]!.endsWith('…')).toBe(true);
    expect(out[1]).toBe('short row');
  });

  it('keeps rows whole when piped, and safe either way', () => {
    expect(tableRows([long], null)).toBe(long);
    expect(tableRows(['a \u001b[2Jb'], null)).toBe('a b');
    expect(tableRows(['a \u001b[2Jb'], 80)).toBe('a b');
  });
});
