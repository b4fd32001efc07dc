import { describe, expect, it } from 'vitest';
import { acpAgentsOf } from './config.js';

describe('acpAgentsOf', () => {
  it('keeps valid ACP agent entries and skips bad ones with a reason', () => {
    const warnings: string[] = [];
    const agents = acpAgentsOf(
      {
        acpAgents: {
          foo: { command: ['foo-acp', '--stdio'], displayName: 'Foo' },
          'Bad Name': { command: ['x'] },
          empty: { command: [] },
          wrong: { command: 'foo --acp' as unknown as string[] },
        },
      },
      (m) => warnings.push(m),
    );
    expect(agents).toEqual([{ name: 'foo', command: ['foo-acp', '--stdio'], displayName: 'Foo' }]);
    expect(warnings).toHaveLength(3);
  });

  it('is empty without entries', () => {
    expect(acpAgentsOf({})).toEqual([]);
  });
});
