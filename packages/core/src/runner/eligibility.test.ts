import type { JobSpec } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { fakeAgentPort } from '../../test/fake-ports.js';
import { advertisedAgents, checkEligibility, type RunnerAbilities } from './eligibility.js';

const spec = (agent: string, context: 'local' | 'repository') =>
  ({
    title: 't',
    instructions: 'i',
    agent: { id: agent },
    context:
      context === 'local' ? { type: 'local' } : { type: 'repository', repository: { owner: 'o', name: 'r' } },
  }) as unknown as JobSpec;

const abilities = (over: Partial<RunnerAbilities> = {}): RunnerAbilities => ({
  agents: [fakeAgentPort('demo'), fakeAgentPort('claude-code')],
  disabledAgents: new Set(),
  repositoryJobs: true,
  localJobs: true,
  ...over,
});

describe('checkEligibility', () => {
  it('picks the agent the job names', () => {
    const result = checkEligibility(spec('claude-code', 'local'), abilities());
    expect(result.kind === 'eligible' && result.agent.id).toBe('claude-code');
  });

  it('refuses an agent it lacks or that is switched off, naming those it has', () => {
    expect(checkEligibility(spec('codex', 'local'), abilities())).toEqual({
      kind: 'ineligible',
      error: {
        code: 'agent.not_found',
        message: 'This runner has no enabled agent "codex" (it has: demo, claude-code)',
        retryable: false,
      },
    });
    const off = checkEligibility(spec('demo', 'local'), abilities({ disabledAgents: new Set(['demo']) }));
    expect(off.kind === 'ineligible' && off.error.code).toBe('agent.not_found');
    const none = checkEligibility(spec('demo', 'local'), abilities({ agents: [] }));
    expect(none.kind === 'ineligible' && none.error.message).toContain('(it has: none)');
  });

  it('refuses a kind of job it has no workspace for', () => {
    const result = checkEligibility(spec('demo', 'repository'), abilities({ repositoryJobs: false }));
    expect(result).toMatchObject({
      kind: 'ineligible',
      error: { code: 'job.unsupported_context', message: 'This runner is not set up for repository jobs' },
    });
    expect(checkEligibility(spec('demo', 'local'), abilities({ repositoryJobs: false })).kind).toBe(
      'eligible',
    );
  });
});

describe('advertisedAgents', () => {
  it('tells the server what was detected, never where the program is, and what the user switched off', async () => {
    const agents = await advertisedAgents(abilities({ disabledAgents: new Set(['claude-code']) }));
    expect(agents).toEqual([
      { id: 'demo', state: 'detected', version: '1.0.0', enabled: true },
      { id: 'claude-code', state: 'detected', version: '1.0.0', enabled: false },
    ]);
  });
});
