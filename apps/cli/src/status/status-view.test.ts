import { CONTROL_API_VERSION, type StatusSnapshot } from '@coord/runner-core/control-api';
import { describe, expect, it } from 'vitest';
import { renderStatus, type StatusViewContext } from './status-view.js';

const NOW = 1_800_000_000_000;

function snapshot(overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    version: CONTROL_API_VERSION,
    runnerVersion: '0.1.0',
    pid: 4242,
    stateDir: '/tmp/state',
    connections: [
      {
        server: 'http://127.0.0.1:4000',
        runnerId: 'run_1',
        status: 'idle',
        message: null,
        since: NOW - 12_000,
      },
    ],
    capacity: 2,
    active: [],
    waiting: [],
    at: NOW,
    ...overrides,
  };
}

const ctx = (overrides: Partial<StatusViewContext> = {}): StatusViewContext => ({
  now: NOW,
  color: false,
  columns: 120,
  frame: 0,
  stateSince: new Map(),
  ...overrides,
});

describe('the live status area of coord-runner start', () => {
  it('idle: the connection, the capacity, and how long it has waited for a job', () => {
    expect(renderStatus(snapshot(), ctx()).slice(1)).toEqual([
      'http://127.0.0.1:4000 · connected as run_1 · 0/2 busy',
      '⠋ waiting for a job for 12 s',
    ]);
  });

  it('an active job: its state and time in it, agent, elapsed time, last line; a waiting approval', () => {
    const lines = renderStatus(
      snapshot({
        capacity: 1,
        active: [
          {
            jobId: 'job_1',
            attemptId: 'att_1',
            attemptNumber: 1,
            title: 'Add a greeting',
            workspaceId: 'local',
            agent: 'demo',
            state: 'preparing',
            startedAt: NOW - 65_000,
            elapsedMs: 65_000,
            lastLine: 'Cloning http://127.0.0.1:4000/forge/git/local/app.git',
            branch: null,
          },
        ],
        waiting: [
          {
            interactionId: 'int_9',
            jobId: 'job_1',
            attemptId: 'att_1',
            request: { kind: 'approval', toolName: 'run', summary: 'ls -la', input: { command: ['ls'] } },
            since: NOW - 3_000,
          },
        ],
      }),
      ctx({ frame: 3, stateSince: new Map([['att_1', NOW - 42_000]]) }),
    );
    expect(lines.slice(1)).toEqual([
      'http://127.0.0.1:4000 · connected as run_1 · 1/1 busy',
      '⠸ Add a greeting · preparing the work directory 42 s · demo · 1m 05s',
      '    └ Cloning http://127.0.0.1:4000/forge/git/local/app.git',
      '? approve run: ls -la (job "Add a greeting") · waiting 3 s',
      '    └ coord-runner approve int_9, or on the web',
    ]);
  });

  it('a repository job whose work tree is ready names its branch', () => {
    const lines = renderStatus(
      snapshot({
        capacity: 1,
        active: [
          {
            jobId: 'job_1',
            attemptId: 'att_1',
            attemptNumber: 1,
            title: 'Add a greeting',
            workspaceId: 'local',
            agent: 'demo',
            state: 'running',
            startedAt: NOW - 65_000,
            elapsedMs: 65_000,
            lastLine: null,
            branch: 'coord/add-a-greeting-1a2b3c4d',
          },
        ],
      }),
      ctx({ stateSince: new Map([['att_1', NOW - 42_000]]) }),
    );
    expect(lines[2]).toBe(
      '⠋ Add a greeting · agent working 42 s · demo · 1m 05s · coord/add-a-greeting-1a2b3c4d',
    );
  });

  it('offline says that it retries once, whether or not the reason says so already', () => {
    const offline = (message: string | null) =>
      renderStatus(
        snapshot({
          connections: [
            {
              server: 'http://127.0.0.1:4000',
              runnerId: 'run_1',
              status: 'offline',
              message,
              since: NOW - 5_000,
            },
          ],
        }),
        ctx({ columns: 200 }),
      )[1];
    expect(offline('Cannot reach the Coord server; retrying')).toBe(
      'http://127.0.0.1:4000 · ⠋ offline 5 s: Cannot reach the Coord server; retrying · 0/2 busy',
    );
    expect(offline('connect ECONNREFUSED')).toBe(
      'http://127.0.0.1:4000 · ⠋ offline 5 s: connect ECONNREFUSED; retrying · 0/2 busy',
    );
    expect(offline(null)).toContain('offline 5 s: the server does not answer; retrying');
  });

  it('offline says why and that it retries; lines fit the width; nothing from a job reaches the terminal raw', () => {
    const lines = renderStatus(
      snapshot({
        connections: [
          {
            server: 'http://127.0.0.1:4000',
            runnerId: 'run_1',
            status: 'offline',
            message: 'connect ECONNREFUSED',
            since: NOW - 5_000,
          },
        ],
        active: [
          {
            jobId: 'job_1',
            attemptId: 'att_1',
            attemptNumber: 2,
            title: 'Title \u001b]0;owned\u0007 with \u001b[2Ka long tail '.padEnd(200, 'x'),
            workspaceId: null,
            agent: null,
            state: 'awaiting_input',
            startedAt: null,
            elapsedMs: null,
            lastLine: null,
            branch: null,
          },
        ],
      }),
      ctx({ columns: 60 }),
    );
    expect(lines[1]).toBe('http://127.0.0.1:4000 · ⠋ offline 5 s: connect ECONNREFUSE…');
    expect(lines[2]).toMatch(/^\? Title {2}with a long tail x+…$/);
    for (const line of lines) {
      expect([...line].length).toBeLessThanOrEqual(59);
      expect(line).not.toContain('\u001b');
    }
  });
});
