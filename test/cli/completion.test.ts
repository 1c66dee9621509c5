/**
 * Issue 16 (CLI habits): `nhi completion bash|zsh|fish`. Each script is printed by the built
 * CLI and loaded into the real shell: bash's completion function is called with COMP_WORDS,
 * fish answers `complete -C`, and zsh completes on a pseudo-terminal (zpty) with compinit.
 * The scripts are generated from the commander tree, so every command and option is offered.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { nhi } from './child.js';

const dir = mkdtempSync(join(tmpdir(), 'nhi-completion-'));
const scripts: Record<string, string> = {};

beforeAll(() => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = nhi(['completion', shell]);
    expect(r.code, r.stderr).toBe(0);
    scripts[shell] = join(dir, `nhi.${shell}`);
    writeFileSync(scripts[shell] as string, r.stdout);
  }
});

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** What bash completes for the words (the last one is the word being completed). */
function bashComplete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = run('bash', [
    '--norc',
    '-c',
    `source ${scripts.bash}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _nhi; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ]);
  return out.split('\n').filter(Boolean);
}

function fishComplete(line: string): string[] {
  const out = run('fish', ['--no-config', '-c', `source ${scripts.fish}; complete -C '${line}'`]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[0] as string);
}

async function fullTree() {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
  return buildProgram(io, '*');
}

describe('nhi completion bash', () => {
  it('registers _nhi for nhi', () => {
    expect(run('bash', ['--norc', '-c', `source ${scripts.bash}; complete -p nhi`]).trim()).toBe(
      'complete -F _nhi nhi',
    );
  });

  it('offers every top-level command of the real tree, and subcommands by path', async () => {
    const program = await fullTree();
    const all = bashComplete('nhi', '');
    for (const c of program.commands) expect(all).toContain(c.name());
    expect(all).toContain('completion');
    expect(all).toContain('init');
    expect(bashComplete('nhi', 's')).toEqual(['scan', 'serve', 'status']);
    expect(bashComplete('nhi', 'audit', '')).toEqual(expect.arrayContaining(['verify', 'export']));
    // Global options before the command, with their values, do not hide the command path.
    expect(bashComplete('nhi', '--config', 'x.json', '--json', 'audit', 'v')).toEqual(['verify']);
  });

  it('offers each command its own options and the global ones', async () => {
    const program = await fullTree();
    const scan = program.commands.find((c) => c.name() === 'scan');
    const opts = bashComplete('nhi', 'scan', '-');
    for (const o of scan?.options ?? []) expect(opts).toContain(o.long);
    expect(opts).toEqual(expect.arrayContaining(['--config', '--json', '--help']));
    expect(bashComplete('nhi', 'scan', '--f')).toEqual(['--format', '--fail-on']);
  });

  it('completes option values: choices, severities, finding types, files', () => {
    expect(bashComplete('nhi', 'scan', '--format', '')).toEqual(
      expect.arrayContaining(['table', 'json', 'markdown', 'html']),
    );
    expect(bashComplete('nhi', 'scan', '--fail-on', 'h')).toEqual(['high']);
    expect(bashComplete('nhi', 'findings', '--type', 'dor')).toEqual(['dormant']);
    expect(bashComplete('nhi', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(bashComplete('nhi', 'init', '--provider', '')).toEqual(['aws', 'vault', 'azure']);
    writeFileSync(join(dir, 'report-template.html'), '');
    expect(bashComplete('nhi', 'scan', '--out', 'report-t')).toEqual(['report-template.html']);
    // A value that looks like a command is a value, not the path.
    expect(bashComplete('nhi', 'scan', '--out', 'audit', '--f')).toEqual(['--format', '--fail-on']);
  });
});

describe('nhi completion fish', () => {
  it('completes commands with descriptions, subcommands, options and values', () => {
    expect(fishComplete('nhi sc')).toEqual(['scan']);
    expect(fishComplete('nhi audit ')).toEqual(expect.arrayContaining(['verify', 'export']));
    expect(fishComplete('nhi scan --f')).toEqual(['--fail-on', '--format']);
    expect(fishComplete('nhi scan --fail-on ')).toEqual(['critical', 'high', 'info', 'low', 'medium']);
    expect(fishComplete('nhi completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(fishComplete('nhi request ex')).toEqual(['export']);
    const described = run('fish', ['--no-config', '-c', `source ${scripts.fish}; complete -C 'nhi sc'`]);
    expect(described).toMatch(/^scan\twalk every provider/);
  });
});

describe('nhi completion zsh', () => {
  /** Type `line` and TAB into an interactive zsh on a pty (zpty); read until `until` shows (at most 4 s). */
  function zshComplete(line: string, until: string): string {
    const driver = join(dir, `drive-${Math.random().toString(36).slice(2)}.zsh`);
    writeFileSync(
      driver,
      `zmodload zsh/zpty
zpty z zsh -f -i
drain() { local chunk; out=''; local i; for i in {1..40}; do sleep 0.1; while zpty -rt z chunk; do out+=$chunk; done; [[ $out == *"$1"* ]] && break; done; }
zpty -w z 'PS1="> "; autoload -Uz compinit; compinit -u -D; source ${scripts.zsh}; print READY-$((6*7))'
drain READY-42
zpty -wn z $'${line}\\t\\t'
drain '${until}'
print -r -- "$out"
zpty -d z
`,
    );
    // The escape sequences zle draws with are noise here.
    return run('zsh', ['-f', driver]).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  }

  it('completes a unique command in place, and lists the choices of an option value', () => {
    expect(zshComplete('nhi aud', 'audit')).toContain('nhi audit');
    const severities = zshComplete('nhi scan --fail-on ', 'medium');
    for (const s of ['critical', 'high', 'info', 'low', 'medium']) expect(severities).toContain(s);
  });
}, 30_000);
