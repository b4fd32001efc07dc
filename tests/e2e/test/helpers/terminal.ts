import { execFileSync } from 'node:child_process';
import { onCleanup } from './cleanup.js';
import { eventually } from './cli.js';

/** A terminal a person sits at: tmux on its own socket, read with capture-pane, typed with send-keys. */
export function terminal(name: string, command: string[], env: Record<string, string>) {
  const socket = `coord-e2e-${name}-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const quoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const line = [
    'env',
    '-i',
    ...Object.entries(env).map(([k, v]) => quoted(`${k}=${v}`)),
    ...command.map(quoted),
  ].join(' ');
  tmux('new-session', '-d', '-s', 'main', '-x', '160', '-y', '50', `${line}; echo "EXIT:$?"; sleep 600`);
  onCleanup(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'main');
  return {
    screen,
    keys: (...keys: string[]) => void tmux('send-keys', '-t', 'main', ...keys),
    waitFor: (text: string | RegExp, what: string) =>
      eventually(
        () => {
          const shown = screen();
          return (typeof text === 'string' ? shown.includes(text) : text.test(shown)) ? shown : undefined;
        },
        30_000,
        `${what} on the terminal`,
      ),
  };
}
