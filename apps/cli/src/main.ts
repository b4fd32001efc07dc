import { Command } from '@commander-js/extra-typings';
import { registerAgents } from './commands/agents.js';
import { registerCompletion } from './commands/completion.js';
import { registerDemo } from './commands/demo.js';
import { registerJobs } from './commands/jobs.js';
import { registerLocal } from './commands/local.js';
import { registerLogin } from './commands/login.js';
import { registerService } from './commands/service.js';
import { registerStart } from './commands/start.js';
import { CLI_VERSION } from './version.js';

/** Builds the command tree; tests call `.exitOverride()` and `configureOutput()` on it. */
export function buildProgram(): Command {
  const program = new Command()
    .name('coord-runner')
    .description('Runs Coord agentic jobs on this machine')
    .version(CLI_VERSION)
    .showHelpAfterError();
  registerLogin(program);
  registerStart(program);
  registerLocal(program);
  registerJobs(program);
  registerAgents(program);
  registerDemo(program);
  registerService(program);
  registerCompletion(program);
  return program;
}
