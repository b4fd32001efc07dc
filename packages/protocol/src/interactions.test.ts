import { describe, expect, it } from 'vitest';
import { interactionAnswerSchema } from './interactions.js';
import { detectedAgentSchema } from './runner.js';

describe('protocol additions stay backward compatible', () => {
  it('accepts approval answers with and without a note and the deny-and-stop flag', () => {
    expect(interactionAnswerSchema.parse({ kind: 'approval', decision: 'deny' })).toEqual({
      kind: 'approval',
      decision: 'deny',
    });
    expect(
      interactionAnswerSchema.parse({ kind: 'approval', decision: 'deny', message: 'not here', stop: true }),
    ).toEqual({ kind: 'approval', decision: 'deny', message: 'not here', stop: true });
    expect(
      interactionAnswerSchema.safeParse({ kind: 'approval', decision: 'deny', stop: 'yes' }).success,
    ).toBe(false);
  });

  it('accepts a detected agent with or without a hint for people', () => {
    const agent = { id: 'claude-code', state: 'not_found', version: null, enabled: false };
    expect(detectedAgentSchema.parse(agent)).toEqual(agent);
    expect(detectedAgentSchema.parse({ ...agent, hint: 'npm install -g x' }).hint).toBe('npm install -g x');
    expect(detectedAgentSchema.safeParse({ ...agent, hint: 'x'.repeat(501) }).success).toBe(false);
  });
});
