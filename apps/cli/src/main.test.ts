import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.js';

function run(args: string[]): { code: number | undefined; out: string; err: string } {
  let out = '';
  let err = '';
  const program = buildProgram()
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  }
  try {
    program.parse(['node', 'coord-runner', ...args]);
    return { code: undefined, out, err };
  } catch (error) {
    return { code: (error as { exitCode?: number }).exitCode, out, err };
  }
}

describe('coord-runner command line', () => {
  it('lists its commands', () => {
    const { code, out } = run(['--help']);
    expect(code).toBe(0);
    for (const command of ['start', 'local', 'jobs', 'demo']) expect(out).toContain(command);
  });

  it('refuses a bad --capacity with a clear message', () => {
    const { code, err } = run(['start', '--server', 'http://127.0.0.1:1', '--capacity', 'lots']);
    expect(code).toBe(1);
    expect(err).toContain('--capacity must be a positive whole number, got "lots"');
  });

  it('refuses a bad --forge-retry-for with a clear message', () => {
    const { code, err } = run(['start', '--server', 'http://127.0.0.1:1', '--forge-retry-for', '-5']);
    expect(code).toBe(1);
    expect(err).toContain('--forge-retry-for must be a positive whole number, got "-5"');
  });

  it('refuses --timings of local that are not a JSON object of positive milliseconds, and hides it from help', () => {
    expect(run(['local', '--timings', 'fast']).err).toContain('--timings must be a JSON object, got "fast"');
    expect(run(['local', '--timings', '[1]']).err).toContain(
      '--timings must be a JSON object of milliseconds',
    );
    const zero = run(['local', '--timings', '{"leaseTtlMs":0}']);
    expect(zero.code).toBe(1);
    expect(zero.err).toContain('--timings: leaseTtlMs must be a positive whole number of ms');
    // A test-only knob: people reading the help are not offered it.
    expect(run(['local', '--help']).out).not.toContain('--timings');
  });

  it('has no --token flag: tokens never travel in argv', () => {
    const { code, err } = run(['start', '--server', 'http://127.0.0.1:1', '--token', 'abc']);
    expect(code).toBe(1);
    expect(err).toMatch(/unknown option '--token'/);
  });
});
