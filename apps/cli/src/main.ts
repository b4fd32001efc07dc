import { Command } from '@commander-js/extra-typings';
import { registerAgents } from './commands/agents.js';
import { registerCompletion } from './commands/completion.js';
import { registerConfig } from './commands/config.js';
import { registerControl } from './commands/control.js';
import { registerDemo } from './commands/demo-command.js';
import { registerDoctor } from './commands/doctor.js';
import { registerJobs } from './commands/jobs.js';
import { registerLocal } from './commands/local.js';
import { registerLogin } from './commands/login.js';
import { registerRequestChanges } from './commands/request-changes.js';
import { registerService } from './commands/service.js';
import { registerStart } from './commands/start.js';
import { registerWeb } from './commands/web.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { CLI_VERSION } from './version.js';

/** Builds the command tree; tests call `.exitOverride()` and `configureOutput()` on it. */
export function buildProgram(): Command {
  const program = new Command()
    .name('coord-runner')
    .description('Runs Coord agentic jobs on this machine')
    .version(CLI_VERSION)
    .showHelpAfterError()
    // Usage errors are thrown (and mapped to the exit code table) rather than exiting here.
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);
  registerLogin(program);
  registerStart(program);
  registerControl(program);
  registerLocal(program);
  registerWeb(program);
  registerJobs(program);
  registerRequestChanges(program.commands.find((command) => command.name() === 'jobs')!);
  registerAgents(program);
  registerConfig(program);
  registerDoctor(program);
  registerDemo(program);
  registerService(program);
  registerCompletion(program);
  return program;
}
