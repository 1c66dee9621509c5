import { Argument, type Command } from 'commander';
import { FINDING_TYPES, SEVERITIES } from '../../config/schema.js';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { completionTree } from '../completion/tree.js';
import { zshScript } from '../completion/zsh.js';
import type { CliIo } from '../context.js';
import { versionInfo } from '../version.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

const RENDER: Record<Shell, typeof bashScript> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export function registerCompletionCommand(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish) for every nhi command and option')
    .addArgument(new Argument('<shell>', 'bash | zsh | fish').choices(SHELLS))
    .addHelpText(
      'after',
      '\nInstall:\n' +
        "  bash: echo 'source <(nhi completion bash)' >> ~/.bashrc\n" +
        '  zsh:  nhi completion zsh > ~/.zfunc/_nhi     (fpath+=~/.zfunc before compinit in ~/.zshrc)\n' +
        '  fish: nhi completion fish > ~/.config/fish/completions/nhi.fish',
    )
    .action(async (shell: Shell) => {
      // A CLI run loads only the module of its command (command-index.ts): the script is made
      // from a tree with every module registered, built here. Imported late: program.ts
      // imports the command index, which imports this module.
      const { buildProgram } = await import('../program.js');
      const full = await buildProgram(io, '*');
      const nodes = completionTree(full, { severity: SEVERITIES, type: FINDING_TYPES });
      io.stdout.write(RENDER[shell](nodes, versionInfo().version));
    });
}
