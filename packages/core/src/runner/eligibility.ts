import type { AgentId, DetectedAgent, JobSpec } from '@coord/runner-protocol';
import { CoordError } from '../errors.js';
import { parseAssignment } from './assignment.js';
import type { ClaimedAttempt } from './attempt-driver.js';
import type { ErrorCode, ErrorPayload } from '../errors.js';
import type { AgentPort } from './ports.js';

/** What this runner is set up to run: its agents (minus those switched off) and job contexts. */
export interface RunnerAbilities {
  agents: readonly AgentPort[];
  disabledAgents: ReadonlySet<AgentId>;
  repositoryJobs: boolean;
  localJobs: boolean;
}

export type Eligibility =
  { kind: 'eligible'; agent: AgentPort } | { kind: 'ineligible'; error: ErrorPayload };

/**
 * Whether this runner can run a claimed job, and with which agent. A job it cannot run is
 * reported failed at once, saying what is missing (the server should not have offered it).
 */
export function checkEligibility(spec: JobSpec, abilities: RunnerAbilities): Eligibility {
  const agent = abilities.agents.find((a) => a.id === spec.agent.id && !abilities.disabledAgents.has(a.id));
  if (!agent) {
    return ineligible(
      'agent.not_found',
      `This runner has no enabled agent "${spec.agent.id}" (it has: ${
        abilities.agents.map((a) => a.id).join(', ') || 'none'
      })`,
    );
  }
  const supported = spec.context.type === 'repository' ? abilities.repositoryJobs : abilities.localJobs;
  if (!supported)
    return ineligible('job.unsupported_context', `This runner is not set up for ${spec.context.type} jobs`);
  return { kind: 'eligible', agent };
}

/** The agents this runner tells the server about at registration, switched-off ones as not enabled. */
export async function advertisedAgents(abilities: RunnerAbilities): Promise<DetectedAgent[]> {
  return Promise.all(
    abilities.agents.map(async (agent) => {
      // Where the program lives is this machine's business, not the server's.
      const { path: _path, ...detected } = await agent.detect();
      return { ...detected, enabled: detected.enabled && !abilities.disabledAgents.has(agent.id) };
    }),
  );
}

function ineligible(code: ErrorCode, message: string): Eligibility {
  return { kind: 'ineligible', error: { code, message, retryable: false } };
}

/**
 * What a claim's raw assignment amounts to: an attempt to run, or to report failed at once (a
 * job it cannot read or run), or an error when not even the attempt can be read (nothing can be
 * reported to the server then).
 */
export function claimedAttempt(raw: unknown, abilities: RunnerAbilities): ClaimedAttempt | CoordError {
  const parsed = parseAssignment(raw);
  if (parsed.kind === 'unreadable') return new CoordError('api.invalid_response', parsed.error.message);
  if (parsed.kind === 'rejected')
    return { envelope: parsed.envelope, assignment: null, agent: null, rejection: parsed.error };
  const eligibility = checkEligibility(parsed.assignment.job.spec, abilities);
  return {
    envelope: parsed.assignment,
    assignment: parsed.assignment,
    agent: eligibility.kind === 'eligible' ? eligibility.agent : null,
    rejection: eligibility.kind === 'eligible' ? null : eligibility.error,
  };
}
