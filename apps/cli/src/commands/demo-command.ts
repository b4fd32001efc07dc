import { Option, type Command } from '@commander-js/extra-typings';
import { PERMISSION_MODES } from '@coord/runner-protocol/names';

/** `coord-runner demo`; its code (a server, a forge, agents) loads only when it runs. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Run one real job end to end: a local Coord server with a forge, a sample repository, the scripted demo agent (no AI), and a pull request',
    )
    .option(
      '--keep',
      'keep the temporary data directory and serve until Ctrl-C so the pull request can be opened',
    )
    .addOption(
      new Option(
        '--agent <agent>',
        'the agent: the scripted demo agent, or your own signed-in Claude Code, Codex or Gemini CLI (approvals are asked here)',
      )
        .choices(['demo', 'claude-code', 'codex', 'gemini'] as const)
        .default('demo' as const),
    )
    .addOption(
      new Option('--permission-mode <mode>', 'what the agent may do without asking (as for start)')
        .choices(PERMISSION_MODES)
        .default('ask' as const),
    )
    .action(async (opts) => {
      const { runDemo } = await import('./demo.js');
      process.exitCode = await runDemo({
        keep: opts.keep ?? false,
        agent: opts.agent,
        permissionMode: opts.permissionMode,
      });
    });
}
