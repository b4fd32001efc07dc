import type { AgentId } from '@coord/runner-protocol';
import type { AgentDetection, AgentPort, AgentRun, AgentRunInput } from '../src/runner/ports.js';

/** An agent port whose detection is fixed and whose runs the test supplies (or refuses). */
export function fakeAgentPort(
  id: AgentId,
  options: { detection?: Partial<AgentDetection>; start?: (input: AgentRunInput) => AgentRun } = {},
): AgentPort & { started: AgentRunInput[] } {
  const started: AgentRunInput[] = [];
  return {
    id,
    displayName: `Fake ${id}`,
    started,
    detect: () =>
      Promise.resolve({
        id,
        state: 'detected',
        version: '1.0.0',
        enabled: true,
        path: `/opt/${id}/bin/${id}`,
        ...options.detection,
      } as AgentDetection),
    start: (input) => {
      started.push(input);
      if (!options.start) throw new Error(`fake agent ${id} was not given runs`);
      return options.start(input);
    },
  };
}
