/**
 * What a shell completion script needs, read from the real commander tree: every command
 * path, its subcommands, its options and how each option's value is completed. The scripts
 * (bash.ts, zsh.ts, fish.ts) are generated from this, so they cannot list a command or an
 * option the CLI does not have.
 */
import type { Command, Option } from 'commander';

/** How the word after an option (or a positional argument) is completed. */
export type ValueKind =
  | { kind: 'file' }
  | { kind: 'dir' }
  | { kind: 'none' }
  | { kind: 'choices'; values: string[] };

export interface CompletionOption {
  /** `-p`, `--provider`: every spelling. */
  names: string[];
  description: string;
  /** Absent: a flag without a value. */
  value?: ValueKind;
}

export interface CompletionNode {
  /** Command words after `nhi`, joined by spaces: '' for nhi itself, 'audit verify'. */
  path: string;
  subcommands: { name: string; description: string }[];
  /** The command's own options; the root's (global) options apply at every path too. */
  options: CompletionOption[];
  /** Choices for its first positional argument (`nhi completion <shell>`), if it has any. */
  argument?: string[];
}

/**
 * Values some options take without declaring commander choices, by the value's name in the
 * flags (`--fail-on <severity>`). Passed in by the caller so this module stays free of the
 * config schema.
 */
export type ValueNames = Readonly<Record<string, readonly string[]>>;

export function completionTree(program: Command, valueNames: ValueNames = {}): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (cmd: Command, path: string[]): void => {
    const help = cmd.createHelp();
    const subs = help.visibleCommands(cmd);
    const node: CompletionNode = {
      path: path.join(' '),
      subcommands: subs.map((s) => ({ name: s.name(), description: oneLine(s.description()) })),
      options: help.visibleOptions(cmd).map((o) => completionOption(o, valueNames)),
    };
    const first = cmd.registeredArguments[0];
    if (first?.argChoices) node.argument = [...first.argChoices];
    nodes.push(node);
    for (const sub of subs) {
      const real = cmd.commands.find((c) => c.name() === sub.name());
      if (real) visit(real, [...path, sub.name()]);
      else {
        // Commander's implicit `help [command]`: it takes a subcommand name of its parent.
        const names = cmd.commands.map((c) => c.name());
        const help = { path: [...path, sub.name()].join(' '), subcommands: [], options: [], argument: names };
        nodes.push(help);
      }
    }
  };
  visit(program, []);
  return nodes;
}

function completionOption(option: Option, valueNames: ValueNames): CompletionOption {
  const names = [option.short, option.long].filter((n): n is string => typeof n === 'string');
  const out: CompletionOption = { names, description: oneLine(option.description) };
  if (option.required || option.optional) out.value = valueKind(option, valueNames);
  return out;
}

function valueKind(option: Option, valueNames: ValueNames): ValueKind {
  if (option.argChoices) return { kind: 'choices', values: [...option.argChoices] };
  const name = /[<[]([^>\]]+?)(?:\.\.\.)?[>\]]/.exec(option.flags)?.[1] ?? '';
  const known = valueNames[name];
  if (known) return { kind: 'choices', values: [...known] };
  // Several options document their values as "a | b | c" at the start of the description
  // (--format): what the help shows is what completion offers.
  const listed = /^([a-z0-9-]+(?: \| [a-z0-9-]+)+)/.exec(option.description)?.[1];
  if (listed) return { kind: 'choices', values: listed.split(' | ') };
  if (/dir/.test(name)) return { kind: 'dir' };
  if (/file|path|prefix/.test(name)) return { kind: 'file' };
  return { kind: 'none' };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A node's options with the root's global ones (a global option may follow any command). */
export function optionsAt(nodes: readonly CompletionNode[], node: CompletionNode): CompletionOption[] {
  const root = nodes.find((n) => n.path === '');
  if (!root || node === root) return node.options;
  const own = new Set(node.options.flatMap((o) => o.names));
  return [...node.options, ...root.options.filter((o) => !o.names.some((n) => own.has(n)))];
}

/** Quote for a POSIX shell (bash, zsh): single quotes, with ' written as '\''. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
