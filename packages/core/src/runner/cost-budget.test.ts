import { describe, expect, it } from 'vitest';
import { createCostBudget } from './cost-budget.js';

const usage = (costUsd: number | undefined, cumulative: boolean) =>
  ({ type: 'usage', inputTokens: 1, outputTokens: 1, costUsd, cumulative }) as const;

describe('the cost budget', () => {
  it('says once, when the spending first passes the budget', () => {
    const budget = createCostBudget(1);
    expect(budget.spend(usage(0.6, false))).toBeNull();
    expect(budget.spend(usage(0.6, false))).toBe(
      "The agent passed the job's cost budget of $1 (it reported $1.2000) and was stopped.",
    );
    expect(budget.spend(usage(0.6, false))).toBeNull();
    expect(budget.spentUsd).toBeCloseTo(1.8);
  });

  it('takes cumulative reports as the total, and ignores reports without a cost', () => {
    const budget = createCostBudget(1);
    expect(budget.spend(usage(0.9, true))).toBeNull();
    expect(budget.spend(usage(0.95, true))).toBeNull();
    expect(budget.spend(usage(undefined, false))).toBeNull();
    expect(budget.spentUsd).toBe(0.95);
  });

  it('never stops a job without a budget', () => {
    expect(createCostBudget(undefined).spend(usage(1_000, true))).toBeNull();
  });
});
