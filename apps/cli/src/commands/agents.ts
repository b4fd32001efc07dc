import type { Command } from '@commander-js/extra-typings';
import type { AgentDetection } from '@coord/runner-core';
import { agentSettings, readConfig, writeConfig } from '../config.js';
import { resolveStateDir } from '../state-dir.js';
import { terminalJson, terminalSafe } from '../terminal-text.js';

export interface AgentRow extends AgentDetection {
  displayName: string;
  /** Switched on in this runner's settings (a detected agent can still be switched off). */
  enabledHere: boolean;
}

/** Detects every agent now (a rescan), with the on/off switch from the settings. */
export async function scan(stateDir: string): Promise<AgentRow[]> {
  const disabled = new Set(readConfig(stateDir).disabledAgents ?? []);
  // The adapters (and what they load) only when agents are looked for.
  const { createAgents } = await import('../agents.js');
  return Promise.all(
    createAgents({ stateDir, ...agentSettings(readConfig(stateDir)) }).map(async (agent) => {
      const detected = await agent.detect();
      return { ...detected, displayName: agent.displayName, enabledHere: !disabled.has(agent.id) };
    }),
  );
}

const stateWords: Record<AgentDetection['state'], string> = {
  detected: 'Detected',
  not_found: 'Not found',
  unsupported: 'Unsupported',
};

function table(rows: AgentRow[]): string {
  const lines = rows.map((r) => {
    const usable = r.state === 'detected' && r.enabled && r.enabledHere;
    return [
      r.id.padEnd(12),
      stateWords[r.state].padEnd(12),
      (r.version ?? '-').padEnd(10),
      (usable ? 'enabled' : r.enabledHere ? '-' : 'disabled').padEnd(9),
      r.path ?? r.hint ?? '',
    ].join(' ');
  });
  return terminalSafe(
    [
      [
        'AGENT'.padEnd(12),
        'STATE'.padEnd(12),
        'VERSION'.padEnd(10),
        'ENABLED'.padEnd(9),
        'PATH (OR HOW TO INSTALL)',
      ].join(' '),
      ...lines,
    ].join('\n'),
  );
}

export async function setEnabled(stateDir: string, id: string, enabled: boolean): Promise<void> {
  const { agentIdSchema } = await import('@coord/runner-protocol');
  const parsed = agentIdSchema.safeParse(id);
  if (!parsed.success)
    throw new Error(`"${id}" is not an agent id (claude-code, codex, gemini, demo or acp:<name>).`);
  const config = readConfig(stateDir);
  const disabled = new Set(config.disabledAgents ?? []);
  if (enabled) disabled.delete(parsed.data);
  else disabled.add(parsed.data);
  writeConfig(stateDir, { ...config, disabledAgents: [...disabled].sort() });
}

export function registerAgents(program: Command): void {
  const agents = program
    .command('agents')
    .description('List the agents this machine can run (detected now), and switch them on or off')
    .option('--json', 'print the agents as JSON')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (opts) => {
      const rows = await scan(resolveStateDir(opts.stateDir));
      process.stdout.write(`${opts.json ? terminalJson(rows, 2) : table(rows)}\n`);
    });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    agents
      .command(name)
      .description(
        `${enabled ? 'Switch an agent on' : 'Switch an agent off: the runner takes no job for it'} (from the next start)`,
      )
      .argument('<agent>', 'agent id: claude-code, codex, gemini, demo or acp:<name>')
      .action(async (id, _opts, command) => {
        // --state-dir belongs to `agents`, wherever it is written on the command line.
        const stateDir = resolveStateDir(command.optsWithGlobals().stateDir);
        await setEnabled(stateDir, id, enabled);
        process.stdout.write(
          `${terminalSafe(id)} ${enabled ? 'enabled' : 'disabled'}; a running runner picks it up at its next start.\n`,
        );
      });
  }
}
