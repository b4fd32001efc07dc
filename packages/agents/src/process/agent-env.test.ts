import { describe, expect, it } from 'vitest';
import { buildAgentEnv, pathOf } from './agent-env.js';

describe('buildAgentEnv', () => {
  const parent = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    LC_ALL: 'C.UTF-8',
    COORD_TOKEN: 'secret-token',
    GITHUB_TOKEN: 'ghp_xxx',
    NODE_OPTIONS: '--inspect',
  };

  it('keeps allowlisted variables and drops everything else', () => {
    expect(buildAgentEnv(parent, {}, 'linux')).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      LC_ALL: 'C.UTF-8',
    });
  });

  it('adds the extra variables, which win over inherited ones', () => {
    expect(buildAgentEnv(parent, { PATH: '/x', FOO: 'bar' }, 'linux')).toMatchObject({
      PATH: '/x',
      FOO: 'bar',
    });
  });

  it('matches names case-insensitively on Windows', () => {
    const env = buildAgentEnv(
      { Path: 'C:\\bin', SystemRoot: 'C:\\Windows', COORD_TOKEN: 't' },
      { PATH: 'D:\\x' },
      'win32',
    );
    expect(env).toEqual({ SystemRoot: 'C:\\Windows', PATH: 'D:\\x' });
    expect(pathOf({ Path: 'C:\\bin' }, 'win32')).toBe('C:\\bin');
  });
});
