import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

function collect(max?: number) {
  const lines: Array<[string, boolean]> = [];
  const splitter = new LineSplitter((line, truncated) => lines.push([line, truncated]), max);
  return { lines, splitter };
}

describe('LineSplitter', () => {
  it('splits across chunks and strips CRLF', () => {
    const { lines, splitter } = collect();
    splitter.push('a\r\nb');
    splitter.push('c\n\nd');
    splitter.end();
    expect(lines).toEqual([
      ['a', false],
      ['bc', false],
      ['', false],
      ['d', false],
    ]);
  });

  it('reassembles a UTF-8 character cut between chunks', () => {
    const { lines, splitter } = collect();
    const bytes = Buffer.from('é\n');
    splitter.push(bytes.subarray(0, 1));
    splitter.push(bytes.subarray(1));
    expect(lines).toEqual([['é', false]]);
  });

  it('cuts an over-long line and resumes at the next newline', () => {
    const { lines, splitter } = collect(4);
    splitter.push('abcdefgh');
    splitter.push('ijk\nok\n');
    expect(lines).toEqual([
      ['abcd', true],
      ['ok', false],
    ]);
  });
});
