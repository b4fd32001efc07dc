import type { DemoStep, InteractionAnswer } from '@coord/runner-protocol';

/** The first stdin line the demo agent reads: its whole job (never argv, which `ps` shows). */
export interface DemoTask {
  type: 'task';
  title: string;
  instructions: string;
  plan: DemoStep[];
  resumeSessionId: string | null;
  /** Paths the read and write steps refuse (AgentRunInput.protectedPaths). */
  protectedPaths: string[];
}

/** Later stdin lines: a graceful stop request (works on Windows too, unlike SIGINT). */
export interface DemoInterrupt {
  type: 'interrupt';
}

/** A person's answer to an approval or question the demo agent asked (AgentRun.respond). */
export interface DemoAnswer {
  type: 'answer';
  requestId: string;
  answer: InteractionAnswer;
}

export type DemoInput = DemoTask | DemoInterrupt | DemoAnswer;

export const demoDisplayName = 'Demo agent (scripted, no AI)';
