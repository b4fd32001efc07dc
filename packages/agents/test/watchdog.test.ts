import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { newRunMarker, runMarkerName } from '../src/process/escaped-processes.js';
import { watchdogArgs } from '../src/process/process-group.js';
import { isGone, waitUntilGone } from './helpers.js';

/**
 * A stand-in runner: it starts an agent in its own group (the agent leaves a daemon carrying the
 * run's marker and exits) and the agent's watchdog, then is killed with SIGKILL once the group is
 * gone, before it swept the daemon, as a runner killed in the middle of that sweep is.
 */
const runnerScript = `
const { spawn } = require('node:child_process');
const [source, marker, name] = process.argv.slice(1);
const agent = spawn(process.execPath, ['-e',
  "const d = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' }); d.unref(); console.log(d.pid)"],
  { detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH, [name]: marker } });
spawn(process.execPath, ['-e', source, String(agent.pid), '5000', marker], { detached: true, stdio: 'ignore', env: {} }).unref();
agent.stdout.pipe(process.stdout);
// Long enough for the watchdog to see the group gone while this runner still lives.
agent.on('exit', () => setTimeout(() => process.kill(process.pid, 'SIGKILL'), 800));
`;

describe.skipIf(process.platform !== 'linux')('the agent watchdog', () => {
  it('sweeps what the agent left outside its group when the runner is killed before it swept it', async () => {
    const source = watchdogArgs(0, 0)[1]!;
    const runner = await execa(
      process.execPath,
      ['-e', runnerScript, source, newRunMarker(), runMarkerName],
      {
        reject: false,
      },
    );
    expect(runner.signal).toBe('SIGKILL');
    const daemon = Number(String(runner.stdout).trim());
    expect(daemon).toBeGreaterThan(0);
    try {
      // The watchdog notices the runner is gone within 250 ms; the group is gone already, so no grace.
      await waitUntilGone(daemon, 3_000);
    } finally {
      if (!(await isGone(daemon))) process.kill(daemon, 'SIGKILL');
    }
  });
});
