import { settingSchema } from '@coord/runner-core/control-api';
import { CliError, EXIT } from '../exit-codes.js';
import { getSetting, isSecretSetting, listSettings, setSetting, type SettingView } from '../settings.js';
import { resolveStateDir } from '../state-dir.js';
import { readStdin } from '../stdin.js';
import { terminalJson, terminalSafe } from '../terminal-text.js';

const shown = (value: unknown) =>
  value === null ? '(default)' : typeof value === 'string' ? value : JSON.stringify(value);

function print(settings: SettingView[], asJson: boolean | undefined, single = false): void {
  // What is printed is what the control API would answer: checked against its schema.
  const valid = settings.map((s) => settingSchema.parse(s));
  if (asJson) {
    process.stdout.write(`${terminalJson(single ? valid[0] : valid, 2)}\n`);
    return;
  }
  const width = Math.max(...valid.map((s) => s.key.length));
  process.stdout.write(
    `${terminalSafe(valid.map((s) => (single ? shown(s.value) : `${s.key.padEnd(width)}  ${shown(s.value).padEnd(24)}  ${s.description}`)).join('\n'))}\n`,
  );
}

export function list(opts: { stateDir?: string; json?: boolean }): void {
  print(listSettings(resolveStateDir(opts.stateDir)), opts.json);
}

export function get(key: string, opts: { stateDir?: string; json?: boolean }): void {
  print([getSetting(resolveStateDir(opts.stateDir), key)], opts.json, true);
}

export async function set(
  key: string,
  value: string | undefined,
  opts: { stateDir?: string; json?: boolean },
) {
  const stateDir = resolveStateDir(opts.stateDir);
  let next = value;
  if (isSecretSetting(key)) {
    if (value !== undefined) {
      // Command lines are visible to every user of the machine, and end up in shell history.
      throw new CliError(
        EXIT.usage,
        `${key} is a secret: it is never taken from the command line.`,
        `Leave it out: \`coord-runner config set ${key}\` asks for it (typed hidden), or takes it on stdin (\`< file\`).`,
      );
    }
    if (process.stdin.isTTY) {
      const { password } = await import('@inquirer/prompts');
      next = await password({ message: `${key}:`, mask: '*' });
    } else next = (await readStdin()).trim();
  }
  if (next === undefined)
    throw new CliError(EXIT.usage, `Give a value: coord-runner config set ${key} <value>.`);
  const result = setSetting(stateDir, key, next);
  if (opts.json) print([result], true, true);
  else
    process.stdout.write(
      `${terminalSafe(`${key} = ${shown(result.value)}`)} (a running runner uses it from its next start)\n`,
    );
}

export function unset(key: string, opts: { stateDir?: string }): void {
  setSetting(resolveStateDir(opts.stateDir), key, null);
  process.stdout.write(`${terminalSafe(key)} is back to its default.\n`);
}
