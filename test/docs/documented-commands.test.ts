/**
 * Every `nhi` command the README and docs/*.md show in a shell code block exists: its command
 * path (`nhi incident approve`, `nhi audit verify`) is one the CLI has, `nhi <path> --help` exits
 * 0, and every flag on the line is in that help (or the global options'). And every example
 * config in the repository passes `nhi config check`.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, runCli } from '../../src/cli/program.js';
import { exampleCopy, REPO_ROOT } from '../example-config.js';
import { Capture } from '../runbook/local-app.js';
import {
  codeBlocks,
  type DocCommand,
  documentedCommands,
  inlineCommands,
  SHELL_LANGS,
  simpleCommands,
} from './markdown.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

interface Parsed {
  /** Subcommand names from the top, e.g. ['incident', 'approve']; [] for `nhi` itself. */
  path: string[];
  flags: string[];
  problem?: string;
}

const takesValue = (o: Option) => o.required || o.optional;

/** Walk argv down the real command tree as commander would: options with their values, subcommands, arguments. */
function parse(root: Command, argv: readonly string[]): Parsed {
  const path: string[] = [];
  const flags: string[] = [];
  let cmd = root;
  let argumentsStarted = false;
  const findOption = (flag: string): Option | undefined => {
    for (let c: Command | null = cmd; c; c = c.parent)
      for (const o of c.options) if (o.long === flag || o.short === flag) return o;
    return undefined;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (arg.startsWith('-') && arg !== '-') {
      const [flag, attached] = arg.split(/=(.*)/s) as [string, string | undefined];
      flags.push(flag);
      const option = findOption(flag);
      if (!option || !takesValue(option) || attached !== undefined) continue;
      if (option.variadic) {
        while (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('-')) i++;
      } else if (option.required || !(argv[i + 1] ?? '-').startsWith('-')) {
        i++;
      }
      continue;
    }
    if (!argumentsStarted) {
      const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
      if (sub) {
        cmd = sub;
        path.push(arg);
        continue;
      }
      if (cmd === root || (cmd.commands.length > 0 && cmd.registeredArguments.length === 0)) {
        const here = ['nhi', ...path].join(' ');
        const known = cmd.commands.map((c) => c.name()).join(', ');
        return {
          path,
          flags,
          problem: `"${here} ${arg}": ${here} has no command "${arg}" (it has: ${known})`,
        };
      }
    }
    argumentsStarted = true;
  }
  return { path, flags };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const mentions = (help: string, flag: string) =>
  new RegExp(`(?<![\\w-])${escapeRegExp(flag)}(?![\\w-])`).test(help);
const where = (c: DocCommand) => `${c.file}:${c.line}: ${c.source}`;

describe('the commands the README and docs/*.md show', () => {
  const blockCommands = documentedCommands();
  // And those named in the prose's inline code (`nhi findings ack`), checked the same way.
  const commands = [...blockCommands, ...inlineCommands()];
  let root: Command;
  const parsed = new Map<DocCommand, Parsed>();

  beforeAll(async () => {
    root = await buildProgram({ stdout: new Capture(), stderr: new Capture(), env: {} }, '*');
    for (const c of commands) parsed.set(c, parse(root, c.argv));
  });

  it('are found in the shell blocks (the extraction itself works)', () => {
    const files = new Set(blockCommands.map((c) => c.file));
    for (const f of [
      'README.md',
      'docs/recovery.md',
      'docs/approvals.md',
      'docs/incidents.md',
      'docs/cli.md',
    ])
      expect(files).toContain(f);
    expect(blockCommands.length).toBeGreaterThan(60);
    expect(commands.length - blockCommands.length).toBeGreaterThan(50);
    const paths = new Set(blockCommands.map((c) => (parsed.get(c) as Parsed).path.join(' ')));
    for (const p of ['scan', 'findings', 'plan', 'request', 'approve', 'run', 'lineage', 'audit verify'])
      expect(paths).toContain(p);
    for (const p of [
      'incident plan',
      'incident approve',
      'request export',
      'approval import',
      'config check',
    ])
      expect(paths).toContain(p);
  });

  it('name only commands and subcommands the CLI has', () => {
    const problems = commands.flatMap((c) => {
      const p = parsed.get(c) as Parsed;
      return p.problem ? [`${where(c)}\n    ${p.problem}`] : [];
    });
    expect(problems).toEqual([]);
  });

  it('each command path answers --help with exit 0, and every flag used with it is in that help', async () => {
    const global = await cli(['--help']);
    expect(global.code).toBe(0);
    const help = new Map<string, { code: number; text: string }>();
    const problems: string[] = [];
    for (const c of commands) {
      const { path, flags, problem } = parsed.get(c) as Parsed;
      if (problem) continue; // reported by the test above
      const key = path.join(' ');
      if (!help.has(key)) {
        const out = await cli([...path, '--help']);
        help.set(key, { code: out.code, text: out.stdout });
      }
      const h = help.get(key) as { code: number; text: string };
      if (h.code !== 0) {
        problems.push(`${where(c)}\n    nhi ${key} --help exited ${h.code}`);
        continue;
      }
      for (const flag of flags)
        if (!mentions(h.text, flag) && !mentions(global.stdout, flag))
          problems.push(`${where(c)}\n    ${flag} is not an option of nhi ${key} (not in its --help)`);
    }
    expect(problems).toEqual([]);
    expect(help.size).toBeGreaterThan(25);
  });
});

describe('the parser behind it', () => {
  let root: Command;
  beforeAll(async () => {
    root = await buildProgram({ stdout: new Capture(), stderr: new Capture(), env: {} }, '*');
  });

  it('refuses a subcommand that does not exist and an unknown top-level command', () => {
    expect(parse(root, ['audit', 'verfy']).problem).toContain('nhi audit has no command "verfy"');
    expect(parse(root, ['scna']).problem).toContain('nhi has no command "scna"');
  });

  it('tells option values, arguments and subcommands apart', () => {
    expect(parse(root, ['--config', 'x.json', 'scan', '--provider', 'a', 'b', '--format', 'json'])).toEqual({
      path: ['scan'],
      flags: ['--config', '--provider', '--format'],
    });
    expect(parse(root, ['request', 'export', 'req_1', '--out', 'r.json']).path).toEqual([
      'request',
      'export',
    ]);
    expect(parse(root, ['request', 'aws:secret:export', '--runbook', 'r']).path).toEqual(['request']);
    expect(parse(root, ['findings', 'ack', 'f_1', '--as', 'P']).path).toEqual(['findings', 'ack']);
  });

  it('splits shell lines like sh: pipes, substitutions, redirections, comments and placeholders', () => {
    expect(simpleCommands(`source <(nhi completion bash)`)).toEqual([
      ['source'],
      ['nhi', 'completion', 'bash'],
    ]);
    expect(simpleCommands(`nhi --version | cut -d' ' -f1`)).toEqual([
      ['nhi', '--version'],
      ['cut', '-d ', '-f1'],
    ]);
    expect(simpleCommands(`nhi a --key <private-key-file> > out 2>&1 # --not-this`)).toEqual([
      ['nhi', 'a', '--key', '<private-key-file>'],
    ]);
    expect(simpleCommands(`nhi incident plan --value-stdin < leaked.txt`)).toEqual([
      ['nhi', 'incident', 'plan', '--value-stdin'],
    ]);
    expect(simpleCommands(`X=1 nhi scan --reason "INC-7: a \\"b\\"" && echo ok`)).toEqual([
      ['X=1', 'nhi', 'scan', '--reason', 'INC-7: a "b"'],
      ['echo', 'ok'],
    ]);
  });
});

/** Every `"env:NAME"` reference in a config. */
const envNames = (text: string) => [
  ...new Set([...text.matchAll(/"env:([A-Za-z_][A-Za-z0-9_]*)"/g)].map((m) => m[1])),
];
const dummyEnv = (names: (string | undefined)[]) =>
  Object.fromEntries(names.map((n) => [n, 'x'.repeat(64)])) as NodeJS.ProcessEnv;

describe('nhi config check on every example config', () => {
  it('config.example.json', async () => {
    const { config } = exampleCopy();
    const out = await cli(
      ['config', 'check', '--config', config],
      dummyEnv(envNames(readFileSync(config, 'utf8'))),
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
  });

  const examples = readdirSync(join(REPO_ROOT, 'docs', 'examples')).filter((f) => f.endsWith('.json'));
  // An nhi config is the JSON with a `providers` map; the rest are IAM / Azure policy documents.
  const configs = examples.filter(
    (f) => 'providers' in JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'examples', f), 'utf8')),
  );

  it('docs/examples/ holds the real-providers config (and only policies besides configs)', () => {
    expect(configs).toContain('real-providers.json');
  });

  it.each(configs)('docs/examples/%s, with dummy values for the environment it names', async (name) => {
    // In place relative to a copy of examples/ (its keys at 0600), as `../../examples/keys/...` expects.
    const { dir } = exampleCopy();
    mkdirSync(join(dir, 'docs', 'examples'), { recursive: true });
    const config = join(dir, 'docs', 'examples', name);
    copyFileSync(join(REPO_ROOT, 'docs', 'examples', name), config);
    const names = envNames(readFileSync(config, 'utf8'));
    const out = await cli(['config', 'check', '--config', config], dummyEnv(names));
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('config ok');
  });

  it('providers.md shows the command that checks real-providers.json, with every variable it needs', () => {
    const names = envNames(readFileSync(join(REPO_ROOT, 'docs', 'examples', 'real-providers.json'), 'utf8'));
    const shown = codeBlocks('docs/providers.md')
      .filter((b) => SHELL_LANGS.has(b.lang))
      .flatMap((b) => b.text.replace(/\\\n/g, ' ').split('\n'))
      .find((l) => l.includes('config check --config docs/examples/real-providers.json'));
    expect(shown).toBeDefined();
    const assigned = (simpleCommands((shown as string).replace(/^\$ /, ''))[0] ?? []).flatMap((w) => {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(w);
      return m ? [m[1]] : [];
    });
    expect(assigned.sort()).toEqual([...names].sort());
  });

  it('the minimal config of configuration.md, with the keys its commands make', async () => {
    const heading = readFileSync(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8')
      .split('\n')
      .indexOf('## A minimal config');
    expect(heading).toBeGreaterThan(0);
    const block = codeBlocks('docs/configuration.md').find((b) => b.lang === 'json' && b.line > heading);
    expect(block).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'nhi-doc-config-'));
    const config = join(dir, 'nhi.config.json');
    writeFileSync(config, (block as { text: string }).text);
    for (const prefix of ['audit', 'alice'])
      expect((await cli(['keygen', '--out', join(dir, 'keys', prefix)])).code).toBe(0);
    const out = await cli(['config', 'check', '--config', config], dummyEnv(envNames(block?.text ?? '')));
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
  });
});
