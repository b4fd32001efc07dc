import type { Credentials } from './credentials.js';

export interface RunnerCommand {
  /** The CLI's entry module, run as the utility process's script. */
  modulePath: string;
  args: string[];
  /** The token travels here, never in the arguments (process listings show those). */
  env: Record<string, string>;
}

/**
 * How the desktop app runs its runner: `coord-runner start` in a utility process, on the app's
 * own state dir, answering nothing on a terminal (people answer in the window) and printing
 * NDJSON (kept as the runner's log). The CLI and the app share the state dir's control endpoint,
 * so `coord-runner status` sees the app's runner too.
 */
export function runnerCommand(options: {
  cliPath: string;
  stateDir: string;
  credentials: Credentials;
  /** The app's environment, passed on without any Coord token already in it. */
  baseEnv: NodeJS.ProcessEnv;
  name?: string;
}): RunnerCommand {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.baseEnv)) {
    if (value !== undefined && key !== 'COORD_TOKEN' && key !== 'COORD_SERVER') env[key] = value;
  }
  env['COORD_TOKEN'] = options.credentials.token;
  const args = [
    'start',
    '--server',
    options.credentials.server,
    '--state-dir',
    options.stateDir,
    '--no-interactive',
    '--json',
    ...(options.name ? ['--name', options.name] : []),
  ];
  return { modulePath: options.cliPath, args, env };
}
