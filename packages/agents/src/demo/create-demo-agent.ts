import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AgentPort, AgentRunInput } from '@coord/runner-core';
import { demoStepSchema } from '@coord/runner-protocol';
import packageJson from '../../package.json' with { type: 'json' };
import { parseAgentEventLine } from '../events/parse-agent-event.js';
import { runAgentProcess } from '../process/run-agent-process.js';
import type { AgentProcessOptions } from '../process/types.js';
import { settledRun } from '../process/settled-run.js';
import { demoDisplayName, type DemoAnswer, type DemoTask } from './demo-task.js';

export interface DemoAgentOptions extends AgentProcessOptions {
  /**
   * The built demo agent script. Defaults to dist/demo-agent-process.js next to this module;
   * tests running from source pass a freshly built copy.
   */
  scriptPath?: string;
}

function defaultScriptPath(): string {
  return fileURLToPath(new URL('./demo-agent-process.js', import.meta.url));
}

const planSchema = demoStepSchema.array().min(1).max(100);

/** The demo agent port: a scripted child process, labelled as a demo wherever people see it. */
export function createDemoAgent(options: DemoAgentOptions = {}): AgentPort {
  const { scriptPath = defaultScriptPath(), ...processOptions } = options;
  return {
    id: 'demo',
    displayName: demoDisplayName,
    detect: () =>
      Promise.resolve({
        id: 'demo',
        state: existsSync(scriptPath) ? 'detected' : 'not_found',
        version: packageJson.version,
        enabled: true,
      }),
    start(input: AgentRunInput) {
      const plan = planSchema.safeParse(input.agent.plan);
      if (!plan.success) {
        const issue = plan.error.issues[0];
        const where = issue && issue.path.length > 0 ? ` (plan.${issue.path.join('.')})` : '';
        return settledRun({
          code: 'job.invalid_payload',
          message: `The demo agent needs a plan of 1 to 100 valid steps: ${issue?.message ?? 'invalid plan'}${where}`,
          retryable: false,
        });
      }
      const task: DemoTask = {
        type: 'task',
        title: input.title,
        instructions: input.instructions,
        plan: plan.data,
        resumeSessionId: input.resumeSessionId,
        protectedPaths: [...input.protectedPaths],
      };
      return runAgentProcess(
        {
          agentId: 'demo',
          file: process.execPath,
          args: [scriptPath],
          cwd: input.workDir,
          env: input.env,
          stdin: 'pipe',
          initialInput: [JSON.stringify(task)],
          parseLine: (line) => parseAgentEventLine(line),
          requestInterrupt: (control) => {
            if (!control.writeLine(JSON.stringify({ type: 'interrupt' }))) control.signal('SIGINT');
          },
          respond: (requestId, answer, control) => {
            control.writeLine(JSON.stringify({ type: 'answer', requestId, answer } satisfies DemoAnswer));
          },
        },
        processOptions,
      );
    },
  };
}
