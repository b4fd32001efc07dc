import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProtectedPath } from './protected-paths.js';

const state = join('/home', 'u', '.local', 'share', 'coord-runner');
const work = join(state, 'workspace', 'local', 'job-1', 'attempt-1');

describe('isProtectedPath', () => {
  it.each([
    [join(state, 'credentials'), true],
    [join(state, 'attempts', 'att-1', 'events.ndjson'), true],
    [join(state, 'mirrors', 'o', 'r.git', 'config'), true],
    [state, true],
    [join(work, '..', '..', '..', '..', 'credentials'), true],
    [join(state, 'workspace', 'local', 'job-2', 'attempt-1', 'x'), true],
    [join(work, 'src', 'index.ts'), false],
    [work, false],
    [join('/home', 'u', 'notes.txt'), false],
    [join('/home', 'u', '.local', 'share', 'coord-runner-other', 'x'), false],
  ])('%s -> %s', (target, expected) => {
    expect(isProtectedPath(target, [state], work)).toBe(expected);
  });

  it('protects nothing when given nothing', () => {
    expect(isProtectedPath(join(state, 'credentials'), [], work)).toBe(false);
  });
});
