import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, commandWord } from '../../src/cli/command-index.js';
import { buildProgram } from '../../src/cli/program.js';

const io = () => ({
  stdin: new PassThrough(),
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  env: {},
});

describe('lazy command modules (issue 17)', () => {
  it('lists the same commands in `nhi --help` as the real command modules register', async () => {
    const full = await buildProgram(io(), '*');
    const lazy = await buildProgram(io(), undefined);
    expect(lazy.helpInformation()).toBe(full.helpInformation());
  });

  it('names, for every registered top-level command, the module that registers it', async () => {
    const full = await buildProgram(io(), '*');
    const indexed = new Set(COMMAND_MODULES.flatMap((m) => m.commands));
    expect(full.commands.map((c) => c.name()).filter((n) => !indexed.has(n))).toEqual([]);
  });

  it('loads only the module of the command a line runs', async () => {
    expect(commandWord(['--config', 'x.json', '--json', 'scan', '--format', 'json'])).toBe('scan');
    expect(commandWord(['-c', 'scan', 'audit', 'verify'])).toBe('audit');
    expect(commandWord(['help', 'plan'])).toBe('plan');
    expect(commandWord(['--help'])).toBeUndefined();
    const scan = await buildProgram(io(), 'scan');
    expect(scan.commands.map((c) => c.name())).toEqual(['scan', 'findings', 'serve']);
    // `approval import` lives with `request export`, which extends recovery's `request`.
    const approval = await buildProgram(io(), 'approval');
    expect(approval.commands.map((c) => c.name())).toContain('approval');
    const request = approval.commands.find((c) => c.name() === 'request');
    expect(request?.commands.map((c) => c.name())).toEqual(['export']);
  });
});
