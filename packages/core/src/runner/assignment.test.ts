import { describe, expect, it } from 'vitest';
import { parseAssignment } from './assignment.js';

const attempt = {
  id: 'att-1',
  jobId: 'job-1',
  workspaceId: 'ws-1',
  number: 1,
  leaseExpiresAt: '2030-01-01T00:00:00.000Z',
  previousSessionId: null,
  branch: null,
};
const spec = {
  title: 'Fix the build',
  instructions: 'Make `pnpm build` pass.',
  context: { type: 'local' },
  agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
};

describe('parseAssignment', () => {
  it('accepts a valid assignment and fills in the defaults of the job spec', () => {
    const parsed = parseAssignment({ attempt, job: { id: 'job-1', spec }, forge: null, unknownField: 1 });
    expect(parsed.kind).toBe('ok');
    if (parsed.kind !== 'ok') return;
    expect(parsed.assignment.attempt).toEqual(attempt);
    expect(parsed.assignment.job.spec.title).toBe('Fix the build');
    expect(parsed.assignment.job.spec.routing).toEqual({ mode: 'mine' });
    expect(parsed.assignment.job.spec.maxAttempts).toBe(3);
    expect(parsed.assignment.forge).toBeNull();
  });

  it('rejects a bad job but keeps the attempt, naming the field', () => {
    const parsed = parseAssignment({
      attempt,
      job: { id: 'job-1', spec: { ...spec, title: '   ' } },
      forge: null,
    });
    expect(parsed.kind).toBe('rejected');
    if (parsed.kind !== 'rejected') return;
    expect(parsed.envelope.attempt.id).toBe('att-1');
    expect(parsed.error.code).toBe('job.invalid_payload');
    expect(parsed.error.retryable).toBe(false);
    expect(parsed.error.message).toContain('job.spec.title');
  });

  it.each([
    ['an unknown agent', { ...spec, agent: { id: 'gpt-9' } }, 'job.spec.agent.id'],
    ['a demo agent without a plan', { ...spec, agent: { id: 'demo' } }, 'job.spec.agent.plan'],
    [
      'a clone URL with credentials',
      {
        ...spec,
        context: {
          type: 'repository',
          repository: { cloneUrl: 'https://user:pw@example.com/a/b.git', owner: 'a', name: 'b' },
        },
      },
      'job.spec.context.repository.cloneUrl',
    ],
  ])('rejects %s naming %s', (_what, badSpec, field) => {
    const parsed = parseAssignment({ attempt, job: { id: 'job-1', spec: badSpec }, forge: null });
    expect(parsed.kind).toBe('rejected');
    if (parsed.kind === 'rejected') expect(parsed.error.message).toContain(field);
  });

  it('rejects a job that is not even an object', () => {
    const parsed = parseAssignment({ attempt, job: 'surprise', forge: null });
    expect(parsed.kind).toBe('rejected');
  });

  it('calls an assignment without an attempt id unreadable', () => {
    const { id: _id, ...noId } = attempt;
    const parsed = parseAssignment({ attempt: noId, job: { id: 'job-1', spec }, forge: null });
    expect(parsed.kind).toBe('unreadable');
    if (parsed.kind !== 'unreadable') return;
    expect(parsed.error.code).toBe('api.invalid_response');
    expect(parsed.error.message).toContain('attempt.id');
  });

  it.each([null, 'x', 42, [], {}])('calls %j unreadable', (raw) => {
    expect(parseAssignment(raw).kind).toBe('unreadable');
  });

  it('calls an attempt with a path-like id unreadable', () => {
    expect(parseAssignment({ attempt: { ...attempt, id: '../../etc' }, job: {}, forge: null }).kind).toBe(
      'unreadable',
    );
  });
});
