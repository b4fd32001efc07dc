import type { AgentEvent } from '../agents/agent-event.js';

/** A job's cost budget (`maxCostUsd`), against what its agent reports spending. */
export interface CostBudget {
  /** Counts a usage report; returns why the agent must stop when it just passed the budget. */
  spend(usage: Extract<AgentEvent, { type: 'usage' }>): string | null;
  readonly spentUsd: number;
}

export function createCostBudget(limitUsd: number | undefined): CostBudget {
  let spent = 0;
  return {
    get spentUsd() {
      return spent;
    },
    spend(usage) {
      if (usage.costUsd === undefined) return null;
      const before = spent;
      spent = usage.cumulative ? usage.costUsd : spent + usage.costUsd;
      // Said once: when the total first goes past the budget.
      if (limitUsd === undefined || spent <= limitUsd || before > limitUsd) return null;
      return `The agent passed the job's cost budget of $${limitUsd} (it reported $${spent.toFixed(4)}) and was stopped.`;
    },
  };
}
