import { describe, expect, it } from 'vitest';
import { runnerCommand } from './runner-command.js';

describe('the runner command', () => {
  it('passes the token in the environment only, never in the arguments, and drops an inherited one', () => {
    const token = 'coord_pat_secret_0123456789abcdef';
    const command = runnerCommand({
      cliPath: '/app/cli/bin/coord-runner.js',
      stateDir: '/home/me/.local/share/coord-runner',
      credentials: { server: 'https://coord.example', token },
      baseEnv: {
        PATH: '/usr/bin',
        HOME: '/home/me',
        COORD_TOKEN: 'stale',
        COORD_SERVER: 'https://other.example',
      },
      name: 'laptop',
    });
    expect(command.args.join(' ')).not.toContain(token);
    expect(command.args).toEqual([
      'start',
      '--server',
      'https://coord.example',
      '--state-dir',
      '/home/me/.local/share/coord-runner',
      '--no-interactive',
      '--json',
      '--name',
      'laptop',
    ]);
    expect(command.env).toEqual({ PATH: '/usr/bin', HOME: '/home/me', COORD_TOKEN: token });
  });
});
