import type { Command } from 'commander';

/** One command of the tree, as completion needs it. */
interface CommandNode {
  /** Words from the program to this command (`[]` for the program itself). */
  path: string[];
  subcommands: string[];
  options: string[];
}

/** Walks the program's commands, so every command and flag registered anywhere is completed. */
export function commandNodes(program: Command): CommandNode[] {
  const nodes: CommandNode[] = [];
  const visit = (command: Command, path: string[]): void => {
    const subcommands = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    nodes.push({
      path,
      subcommands: subcommands.map((c) => c.name()),
      options: [...command.options.flatMap((o) => (o.long ? [o.long] : [])), '--help'],
    });
    for (const sub of subcommands) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return nodes;
}

const safeWord = /^[A-Za-z0-9:._-]+$/;
const words = (list: string[]) => list.filter((w) => safeWord.test(w)).join(' ');

/**
 * Bash (and zsh through bashcompinit): the function finds the deepest command the typed words
 * name, then offers its subcommands, or its flags once a `-` is typed.
 */
export function bashCompletion(program: Command): string {
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const cases = commandNodes(program).map((node) => {
    const key = node.path.join(' ');
    return `    "${key}") subs="${words(node.subcommands)}"; opts="${words(node.options)}" ;;`;
  });
  return `# ${name} completion for bash; zsh: autoload -U +X bashcompinit && bashcompinit first.
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" candidate subs opts i
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ "\${COMP_WORDS[i]}" == -* ]] && continue
    candidate="\${path:+$path }\${COMP_WORDS[i]}"
    case "$candidate" in
${commandNodes(program)
  .filter((n) => n.path.length > 0)
  .map((n) => `      "${n.path.join(' ')}") path="$candidate" ;;`)
  .join('\n')}
    esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
  fi
}
complete -o default -F ${fn} ${name}
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef ${program.name()}\nautoload -U +X bashcompinit && bashcompinit\n${bashCompletion(program)}`;
}

/** Fish: one `complete` line per subcommand and flag, conditioned on the words seen so far. */
export function fishCompletion(program: Command): string {
  const name = program.name();
  const lines = [`# ${name} completion for fish`, `complete -c ${name} -f`];
  for (const node of commandNodes(program)) {
    const condition =
      node.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${node.path.at(-1)}` +
          (node.subcommands.length > 0
            ? `; and not __fish_seen_subcommand_from ${words(node.subcommands)}`
            : '');
    for (const sub of node.subcommands)
      if (safeWord.test(sub)) lines.push(`complete -c ${name} -n '${condition}' -a ${sub}`);
    for (const option of node.options)
      if (safeWord.test(option)) lines.push(`complete -c ${name} -n '${condition}' -l ${option.slice(2)}`);
  }
  return `${lines.join('\n')}\n`;
}
