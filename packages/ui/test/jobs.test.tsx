import type { AttemptView, JobView } from '@coord/runner-protocol';
import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import {
  AttemptTimeline,
  JOB_STATUSES,
  JobCard,
  JobRow,
  JobStatusBadge,
  formatDuration,
} from '../src/index.js';

const attempt = (over: Partial<AttemptView>): AttemptView => ({
  id: 'att_1',
  number: 1,
  runnerId: 'run_1',
  runnerName: 'laptop',
  status: 'failed',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:02:05.000Z',
  summary: null,
  pullRequest: null,
  outputs: null,
  error: { code: 'agent.crashed', message: 'Claude Code exited with code 1', retryable: true },
  usage: { inputTokens: 1000, outputTokens: 200, costUsd: 0.42 },
  sessionId: null,
  eventsAcked: 10,
  ...over,
});

const job: JobView = {
  id: 'job_1',
  workspaceId: 'ws_1',
  status: 'awaiting_review',
  submittedBy: 'acc_1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:05:00.000Z',
  readyAt: null,
  spec: {
    title: 'Fix the flaky test',
    instructions: 'x',
    context: {
      type: 'repository',
      repository: { cloneUrl: 'https://example.com/a/b.git', owner: 'acme', name: 'web' },
    },
    agent: { id: 'claude-code' },
    routing: { mode: 'mine' },
    status: 'ready',
    maxAttempts: 3,
  },
  attempts: [
    attempt({}),
    attempt({
      id: 'att_2',
      number: 2,
      status: 'succeeded',
      error: null,
      summary: 'Fixed the race',
      pullRequest: { url: 'https://example.com/acme/web/pull/7', number: 7, branch: 'coord/job_1' },
    }),
  ],
  waiting: null,
};

describe('jobs', () => {
  it('a badge per status, with the board’s words', () => {
    for (const { status, label } of JOB_STATUSES) {
      const { container } = render(<JobStatusBadge status={status} />);
      expect(container.querySelector(`.cr-status-${status}`)!.textContent).toBe(label);
    }
  });

  it('a card: title, repository, agent, PR; a plain click routes, a modified click does not', () => {
    const onOpen = vi.fn();
    render(
      <JobCard job={job} href="/app/jobs/job_1" onOpen={onOpen} now={Date.parse(job.updatedAt) + 60_000} />,
    );
    const link = screen.getByRole('link');
    expect(link.getAttribute('href')).toBe('/app/jobs/job_1');
    expect(link.textContent).toContain('Fix the flaky test');
    expect(link.textContent).toContain('acme/web');
    expect(link.textContent).toContain('PR #7');
    expect(link.textContent).toContain('Attempt 2 · laptop');
    expect(link.textContent).toContain('1 min ago');
    fireEvent.click(link, { metaKey: true });
    expect(onOpen).not.toHaveBeenCalled();
    fireEvent.click(link);
    expect(onOpen).toHaveBeenCalledWith(job);
  });

  it('a Ready card says why it waits', () => {
    render(
      <JobCard
        job={{
          ...job,
          status: 'ready',
          attempts: [],
          waiting: { code: 'no_runner', message: 'No runner is online for your account.' },
        }}
        href="#"
      />,
    );
    expect(screen.getByText('No runner is online for your account.')).toBeTruthy();
    expect(screen.getByText('No attempt yet')).toBeTruthy();
  });

  it('a Failed card says why, from its last attempt; other cards do not', () => {
    const { rerender } = render(
      <JobCard job={{ ...job, status: 'failed', attempts: [attempt({})] }} href="#" />,
    );
    expect(screen.getByText('Claude Code exited with code 1')).toBeTruthy();
    rerender(<JobCard job={{ ...job, status: 'ready', attempts: [attempt({})] }} href="#" />);
    expect(screen.queryByText('Claude Code exited with code 1')).toBeNull();
  });

  it('a row', () => {
    render(<JobRow job={job} href="/j" />);
    expect(screen.getByRole('link').textContent).toContain(
      'Awaiting ReviewFix the flaky testacme/webclaude-code#7',
    );
  });

  it('the attempt timeline: newest first, outcome, reason, duration, cost, PR', () => {
    const onSelect = vi.fn();
    render(<AttemptTimeline attempts={job.attempts} selected="att_2" onSelect={onSelect} />);
    const items = screen.getAllByRole('listitem');
    expect(items[0]!.textContent).toContain('Attempt 2Succeeded');
    expect(items[0]!.textContent).toContain('Fixed the race');
    expect(screen.getByRole('link', { name: 'Pull request #7' }).getAttribute('href')).toBe(
      'https://example.com/acme/web/pull/7',
    );
    expect(items[1]!.textContent).toContain('agent.crashed Claude Code exited with code 1');
    expect(items[1]!.textContent).toContain('2 min 5 s');
    expect(items[1]!.textContent).toContain('$0.42');
    fireEvent.click(screen.getByRole('button', { name: /Attempt 1/ }));
    expect(onSelect).toHaveBeenCalledWith(job.attempts[0]);
  });

  it('a PR link that is not http(s) is text, never a link', () => {
    render(
      <AttemptTimeline
        attempts={[
          attempt({
            status: 'succeeded',
            error: null,
            pullRequest: { url: 'javascript:alert(1)', number: 3, branch: 'b' },
          }),
        ]}
      />,
    );
    expect(screen.queryByRole('link')).toBeNull();
    expect(screen.getByText('Pull request #3')).toBeTruthy();
  });

  it('no attempt yet', () => {
    render(<AttemptTimeline attempts={[]} />);
    expect(screen.getByText(/No attempt yet/)).toBeTruthy();
  });

  it('durations', () => {
    expect([formatDuration(3_200), formatDuration(125_000), formatDuration(7_800_000)]).toEqual([
      '3 s',
      '2 min 5 s',
      '2 h 10 min',
    ]);
  });
});
