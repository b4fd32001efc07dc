import type { AttemptView, JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { jobText } from './job-text.js';

const job = (over: Partial<JobView> = {}): JobView => ({
  id: 'job_1',
  workspaceId: 'local',
  status: 'ready',
  spec: {
    title: 'Fix the parser',
    instructions: 'It drops the last line.',
    context: {
      type: 'repository',
      repository: { cloneUrl: 'https://example.com/acme/app.git', owner: 'acme', name: 'app' },
    },
    agent: { id: 'claude-code' },
    routing: { mode: 'runner', runnerName: 'laptop' },
    status: 'ready',
    maxAttempts: 3,
  },
  submittedBy: 'acc_1',
  createdAt: '2026-12-02T02:40:00.000Z',
  updatedAt: '2026-12-02T02:40:00.000Z',
  readyAt: '2026-12-02T02:40:00.000Z',
  attempts: [],
  waiting: null,
  ...over,
});

const attempt = (over: Partial<AttemptView> = {}): AttemptView => ({
  id: 'att_1',
  number: 1,
  runnerId: 'run_1',
  runnerName: 'laptop',
  status: 'failed',
  startedAt: '2026-12-02T02:40:12.000Z',
  endedAt: '2026-12-02T02:41:17.000Z',
  summary: null,
  pullRequest: null,
  outputs: null,
  error: null,
  usage: null,
  sessionId: null,
  eventsAcked: 4,
  ...over,
});

describe('jobText', () => {
  it('a Ready job: what it is, where it is routed, and why it waits', () => {
    const text = jobText(
      job({
        waiting: {
          code: 'runner_offline',
          message: 'It is routed to the runner named "laptop", and none of them is online ("laptop").',
        },
      }),
    );
    expect(text.split('\n')).toEqual([
      'job_1  ready  Fix the parser',
      '  repository acme/app · agent claude-code · routed to the runner "laptop" · workspace local',
      '  waiting: It is routed to the runner named "laptop", and none of them is online ("laptop").',
      '  no attempt yet',
    ]);
  });

  it('each attempt with how it ended: error, pull request, outputs, usage; a running one so far', () => {
    const text = jobText(
      job({
        status: 'in_progress',
        attempts: [
          attempt({ error: { code: 'agent.crashed', message: 'exit 1\nsegfault', retryable: true } }),
          attempt({
            number: 2,
            status: 'succeeded',
            summary: 'Fixed it.',
            pullRequest: { url: 'https://example.com/acme/app/pull/7', number: 7, branch: 'coord/fix' },
            usage: { inputTokens: 1200, outputTokens: 300, costUsd: 0.0421 },
          }),
          attempt({ number: 3, status: 'active', endedAt: null, outputs: ['report.md', 'data.csv'] }),
        ],
      }),
      Date.parse('2026-12-02T02:42:12.000Z'),
    );
    expect(text.split('\n').slice(2)).toEqual([
      '  attempts:',
      '  #1  failed    on laptop, 2026-12-02 02:40:12, 1m 05s',
      '      error: agent.crashed: exit 1 segfault',
      '  #2  succeeded on laptop, 2026-12-02 02:40:12, 1m 05s',
      '      summary: Fixed it.',
      '      pull request: https://example.com/acme/app/pull/7',
      '      usage: 1200 tokens in, 300 out, $0.04',
      '  #3  active    on laptop, 2026-12-02 02:40:12, 2m 00s so far',
      '      outputs: report.md, data.csv',
    ]);
  });

  it('prints no control character a job or an agent put in its text', () => {
    const text = jobText(job({ spec: { ...job().spec, title: 'Fix \u001b[2Jit\u0007' } }));
    const control = [...text].filter(
      (c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
    );
    expect(control).toEqual([]);
    expect(text).toContain('Fix');
  });
});
