/**
 * Issue 16, TTY behaviour under a real terminal: the built CLI runs in a tmux pane of a fixed
 * size (100 x 40). What is checked is what a person sees (the pane's screen, `capture-pane -J`,
 * wrapped lines joined so an overlong line shows as one) and the bytes the CLI wrote to the
 * pty (`pipe-pane`); the piped runs are child processes with no terminal at all.
 * terminal-output.test.ts checks the same rules in-process with streams flagged isTTY.
 *
 * Offline: the AWS provider points at the closed port 127.0.0.1:9, so `nhi scan` logs its
 * retries, shows its progress line and fails. The store is seeded with one open finding whose
 * summary is too long for 100 columns (the scan report lists the open findings of the scanned
 * providers) and one failed webhook delivery to the same closed port, retried (and logged) at
 * the scan's end, after the progress line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import stringWidth from 'string-width';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { findingId } from '../../src/scan/findings.js';
import { localConfig, scratchDir } from '../runbook/local-app.js';
import { testCliMain } from '../servers/test-build.js';

const COLS = 100;
const ROWS = 40;
const CLEAR = '\r\x1b[2K';
const DONE = '__nhi_pty_done__';
const REF = 'aws-local:secret:payments/prod/ledger-db';
const SUMMARY =
  'not used for 400 days (last use 2025-10-28, day precision from LastAccessedDate); ' +
  'the owner has not answered the last two reviews';
const ESC = /\x1b\[[0-9;?]*[A-Za-z]/g;
const TIME = /\[\d\d:\d\d:\d\d\]/g;

const { dir } = scratchDir('nhi-pty-');
const sockets = new Set<string>();
let baseConfig: { state: { path: string } } & Record<string, unknown>;

/** tmux with a server of its own (-L, sockets under the scratch dir) and no user config. */
function tmux(socket: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, TMUX_TMPDIR: dir };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { env, encoding: 'utf8' });
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface PtyRun {
  /** What the command wrote to the terminal, byte for byte (\n arrives as \r\n). */
  raw: string;
  /** The pane's screen and history at the end, one entry per line as a person reads it. */
  screen: string[];
  code: number;
}

/**
 * Run `command` (a shell command line) in a fresh tmux pane of COLS x ROWS. The pane waits for
 * the go signal until pipe-pane records its output, so no byte is missed.
 */
async function inPty(name: string, command: string): Promise<PtyRun> {
  const socket = `nhi-pty-${process.pid}-${name}`;
  sockets.add(socket);
  const raw = join(dir, `${name}.raw`);
  const codeFile = join(dir, `${name}.code`);
  const script = join(dir, `${name}.sh`);
  writeFileSync(
    script,
    [
      `tmux -L ${sh(socket)} wait-for go`,
      command,
      `echo $? > ${sh(codeFile)}`,
      `printf '%s' ${DONE}`,
      'exec sleep 600',
      '',
    ].join('\n'),
  );
  tmux(
    socket,
    'new-session',
    '-d',
    '-s',
    'pty',
    '-x',
    `${COLS}`,
    '-y',
    `${ROWS}`,
    '-c',
    dir,
    `sh ${sh(script)}`,
  );
  try {
    tmux(socket, 'pipe-pane', '-O', '-t', 'pty', `cat > ${sh(raw)}`);
    tmux(socket, 'wait-for', '-S', 'go');
    const deadline = Date.now() + 50_000;
    for (;;) {
      const bytes = existsSync(raw) ? readFileSync(raw, 'utf8') : '';
      const screen = tmux(socket, 'capture-pane', '-p', '-J', '-t', 'pty', '-S', '-', '-E', '-');
      if (bytes.includes(DONE) && screen.includes(DONE)) {
        const lines = screen.split('\n').map((l) => l.trimEnd());
        while (lines.length > 0 && lines.at(-1) === '') lines.pop();
        return {
          raw: bytes.slice(0, bytes.indexOf(DONE)),
          screen: lines,
          code: Number(readFileSync(codeFile, 'utf8').trim()),
        };
      }
      if (Date.now() > deadline)
        throw new Error(`"${command}" did not finish in tmux within 50 s; the screen:\n${screen}`);
      await sleep(100);
    }
  } finally {
    tmux(socket, 'kill-server');
    sockets.delete(socket);
  }
}

/** The environment the CLI gets: nothing of this machine's but PATH (TERM is the pane's own). */
function cliEnv(name: string, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    AWS_EC2_METADATA_DISABLED: 'true',
    NHI_CONFIG: freshConfig(name),
    ...extra,
  };
}

/** `nhi ARGS` in a tmux pane, on a copy of the seeded store. */
function nhiInPty(
  name: string,
  args: readonly string[],
  opts: { env?: Record<string, string>; stdoutTo?: string } = {},
): Promise<PtyRun> {
  const env = Object.entries(cliEnv(name, opts.env ?? {})).map(([k, v]) => sh(`${k}=${v}`));
  const argv = [process.execPath, testCliMain(), ...args].map(sh);
  const redirect = opts.stdoutTo ? ` > ${sh(opts.stdoutTo)}` : '';
  return inPty(name, `env -i ${env.join(' ')} "TERM=$TERM" ${argv.join(' ')}${redirect}`);
}

/** `nhi ARGS` with stdout and stderr piped: no terminal anywhere. */
function nhiPiped(name: string, args: readonly string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [testCliMain(), ...args], {
    cwd: dir,
    env: { ...cliEnv(name, env), TERM: 'xterm-256color' },
    input: '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A config of its own for one run, on a copy of the seeded store (a scan changes the store). */
function freshConfig(name: string): string {
  const db = join(dir, `${name}.db`);
  copyFileSync(baseConfig.state.path, db);
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...baseConfig, state: { ...baseConfig.state, path: db } }));
  return path;
}

/** Screen lines where a log line does not start at the left edge (glued onto something). */
function gluedLogLines(screen: readonly string[]): string[] {
  return screen.filter((l) => /\[\d\d:\d\d:\d\d\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL):/.test(l.slice(1)));
}

/** Screen lines still showing a progress line once the command has finished. */
const progressLeft = (screen: readonly string[]) => screen.filter((l) => l.includes('scanning '));

const tooWide = (lines: readonly string[]) => lines.filter((l) => stringWidth(l) > COLS);

/** The report table: its header, rule and rows (up to the blank line or the "(* = new ...)" note). */
function tableOf(lines: readonly string[]): string[] {
  const start = lines.findIndex((l) => l.replace(ESC, '').startsWith('SEVERITY  TYPE'));
  if (start < 0) throw new Error(`no report table in:\n${lines.join('\n')}`);
  const end = lines.findIndex((l, i) => i > start && (l.trim() === '' || l.startsWith('(')));
  return lines.slice(start, end < 0 ? undefined : end);
}

/** Each log line in the terminal's bytes: the clear sequence before it, and the line itself. */
function logLines(raw: string): { before: string; line: string }[] {
  return [...raw.matchAll(TIME)].map((m) => ({
    before: raw.slice(Math.max(0, m.index - CLEAR.length), m.index),
    line: raw.slice(m.index, raw.indexOf('\r\n', m.index)),
  }));
}

/** Every stderr line of a piped run is one JSON log entry. */
function jsonLogLines(stderr: string): { level: string; msg: string }[] {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return lines.map((l) => {
    try {
      return JSON.parse(l) as { level: string; msg: string };
    } catch {
      throw new Error(`not a JSON log line on stderr: ${JSON.stringify(l)}`);
    }
  });
}

beforeAll(async () => {
  const tmuxVersion = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (tmuxVersion.error || tmuxVersion.status !== 0)
    throw new Error(
      'tmux is needed to run the CLI under a real terminal of a fixed size and was not found ' +
        `(${tmuxVersion.error?.message ?? tmuxVersion.stderr}); Debian: apt-get install tmux, as .ci/run does`,
    );
  writeFileSync(join(dir, 'hook.key'), 'k'.repeat(32), { mode: 0o600 });
  const path = localConfig(
    dir,
    'base',
    { 'aws-local': 'aws-local' },
    {
      notify: {
        oncall: {
          type: 'webhook',
          url: 'http://127.0.0.1:9/hook',
          secret: `file:${join(dir, 'hook.key')}`,
          attempts: 1,
          timeoutMs: 1000,
        },
      },
    },
  );
  baseConfig = JSON.parse(readFileSync(path, 'utf8'));
  (baseConfig.providers as Record<string, { endpoint: string }>)['aws-local']!.endpoint =
    'http://127.0.0.1:9';
  writeFileSync(path, JSON.stringify(baseConfig));
  const app = await createApp({ configPath: path, verbose: false, env: {} });
  try {
    const at = new Date().toISOString();
    await app.store.findings.upsert({
      id: findingId('dormant', REF),
      type: 'dormant',
      ref: REF,
      severity: 'critical',
      status: 'open',
      firstSeen: at,
      lastSeen: at,
      owners: ['alice'],
      summary: SUMMARY,
      evidence: {},
    });
    await app.store.deliveries.insert({
      id: `dlv_${randomUUID()}`,
      target: 'oncall',
      event: 'finding.new',
      subject: REF,
      status: 'failed',
      attempts: 1,
      createdAt: at,
      updatedAt: at,
      body: { event: 'finding.new', subject: REF },
    });
  } finally {
    await app.close();
  }
}, 60_000);

afterAll(() => {
  for (const socket of sockets) {
    try {
      tmux(socket, 'kill-server');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('the built CLI under a real terminal (tmux, 100 columns)', () => {
  it('the checks catch a log line glued onto a progress line, a leftover progress line and an overlong line', async () => {
    const glued = await inPty(
      'control-glued',
      `printf '\\r\\033[2Kscanning aws-local: 3 identities - 1/s, 1 s[12:00:00] WARN: aws call retried\\n'`,
    );
    expect(gluedLogLines(glued.screen)).toHaveLength(1);
    expect(progressLeft(glued.screen)).toHaveLength(1);
    const cleared = await inPty(
      'control-cleared',
      `printf '\\r\\033[2Kscanning aws-local: 3 identities\\r\\033[2K[12:00:00] WARN: aws call retried\\n%0120d\\n' 0`,
    );
    expect(cleared.screen[0]).toBe('[12:00:00] WARN: aws call retried');
    expect(gluedLogLines(cleared.screen)).toEqual([]);
    expect(progressLeft(cleared.screen)).toEqual([]);
    // capture-pane -J joins the pane's wrapped rows: a 120-character line is one line of 120.
    expect(tooWide(cleared.screen)).toEqual(['0'.repeat(120)]);
  }, 60_000);

  describe('nhi scan, stdout and stderr on the terminal', () => {
    let run: PtyRun;
    beforeAll(async () => {
      run = await nhiInPty('scan-tty', ['scan']);
    }, 60_000);

    it('log lines: pino-pretty "[HH:MM:SS] WARN: ...", coloured, each after the clear sequence', () => {
      // The provider at the closed port fails the scan: exit 1, not a crash.
      expect(run.code).toBe(1);
      const logs = logLines(run.raw);
      const retried = logs.filter((l) => l.line.includes('aws call retried'));
      expect(retried.length).toBeGreaterThan(0);
      expect(logs.some((l) => l.line.includes('notification delivery failed; will retry'))).toBe(true);
      for (const l of logs) {
        expect(l.before, l.line).toBe(CLEAR);
        expect(l.line.replace(ESC, '')).toMatch(/^\[\d\d:\d\d:\d\d\] (WARN|ERROR): \S/);
      }
      expect(retried[0]?.line).toContain('\x1b[');
      expect(retried[0]?.line.replace(ESC, '')).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: aws call retried /);
      expect(run.raw).not.toMatch(/"level":\d/);
      // On the screen every log line starts at the left edge.
      expect(run.screen.filter((l) => /(WARN|ERROR): /.test(l)).length).toBeGreaterThan(0);
      expect(gluedLogLines(run.screen)).toEqual([]);
    });

    it('the progress line is shown (provider, count, rate, time) and cleared as the command ends', () => {
      expect(run.raw).toMatch(/\r\x1b\[2Kscanning aws-local: 0 identities — 0\/s, \d+ s/);
      expect(run.raw.endsWith(CLEAR)).toBe(true);
      // The sentinel printed after the CLI exited starts at the left edge: nothing is left before it.
      expect(run.screen.at(-1)).toBe(DONE);
    });

    it('the report table fits the 100 columns by shortening the summary; the ref stays whole; severity coloured', () => {
      const table = tableOf(run.screen);
      expect(table.length).toBeGreaterThanOrEqual(3);
      expect(tooWide(table)).toEqual([]);
      const row = table.find((l) => l.includes(REF)) as string;
      expect(row).toMatch(
        /^critical {2}dormant {2}aws-local:secret:payments\/prod\/ledger-db {2}not used for .*… {2}alice/,
      );
      expect(row).not.toContain(SUMMARY);
      expect(run.raw).toContain('\x1b[1m\x1b[31mcritical\x1b[39m\x1b[22m');
    });

    it('the scan report starts on a line of its own, not on the progress line', () => {
      expect(run.screen.some((l) => /^scan scan_\S+: failed, /.test(l))).toBe(true);
      expect(progressLeft(run.screen)).toEqual([]);
      // The bytes: the progress line is cleared before the report's first line is written.
      expect(run.raw).toMatch(/\r\x1b\[2Kscan scan_\S+: failed, /);
    });
  });

  it('nhi findings: coloured, both tables fit the 100 columns; timestamps hidden, and named, once free text is short', async () => {
    const run = await nhiInPty('findings-tty', ['findings']);
    expect(run.code).toBe(0);
    // Coloured on the terminal, by escape sequences the terminal applies, not shows as text.
    expect(run.raw).toContain('\x1b[1m\x1b[31mcritical\x1b[39m\x1b[22m');
    expect(run.screen.join('\n')).not.toContain('\\u001b');
    expect(tooWide(run.screen)).toEqual([]);
    const table = tableOf(run.screen);
    const header = table[0]?.replace(ESC, '') ?? '';
    // The summary at its shortest still leaves the row too wide (a ref is never cut): the
    // timestamps go, in their order, until it fits, and a note names what is not shown.
    expect(header.split(/ {2,}/)).toEqual(['SEVERITY', 'TYPE', 'REF', 'STATUS', 'SUMMARY']);
    expect(table.find((l) => l.includes(REF))).toMatch(
      /^critical {2}dormant {2}aws-local:secret:payments\/prod\/ledger-db {2}open /,
    );
    expect(run.screen).toContain(
      '(hidden to fit 100 columns: RESOLVED, FIRST SEEN, LAST SEEN; a wider terminal or --json shows them)',
    );
    // The failed delivery's table: a ref is never cut, so the id and time go and the state is
    // shortened (no command takes a delivery id).
    const deliveries = run.screen.findIndex((l) => l.startsWith('TARGET  EVENT'));
    expect(deliveries).toBeGreaterThan(0);
    expect(run.screen[deliveries + 2]).toMatch(
      /^oncall {2}finding\.new {2}aws-local:secret:payments\/prod\/ledger-db {2}failed, /,
    );
    expect(run.screen).toContain(
      '(hidden to fit 100 columns: UPDATED, DELIVERY; a wider terminal or --json shows them)',
    );
    expect(run.screen.at(-1)).toBe(DONE);
    // Piped, the same command prints every column, whole.
    const piped = nhiPiped('findings-piped', ['findings']);
    expect(piped.stdout).toMatch(
      /^SEVERITY {2,}TYPE {2,}REF {2,}STATUS {2,}FIRST SEEN {2,}LAST SEEN {2,}RESOLVED {2,}SUMMARY/,
    );
    expect(piped.stdout).toContain(SUMMARY);
    expect(piped.stdout).toMatch(
      /\nDELIVERY {2,}TARGET {2,}EVENT {2,}SUBJECT {2,}STATE {2,}LAST ERROR {2,}UPDATED\n/,
    );
    expect(piped.stdout).not.toContain('hidden to fit');
  }, 60_000);

  describe.each([
    ['NO_COLOR=1', { NO_COLOR: '1' }],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0' }],
    ['NO_COLOR=1 beats FORCE_COLOR=1', { NO_COLOR: '1', FORCE_COLOR: '1' }],
  ])('nhi scan on the terminal with %s', (label, env) => {
    it('no colour anywhere: log lines plain "[HH:MM:SS] WARN: ...", the table fits, severity plain', async () => {
      const run = await nhiInPty(`scan-${label.replace(/\W+/g, '-')}`, ['scan'], { env });
      expect(run.code).toBe(1);
      // The only escape sequence left is the one that clears the progress line.
      expect(run.raw.split(CLEAR).join('')).not.toContain('\x1b');
      const retried = logLines(run.raw).filter((l) => l.line.includes('aws call retried'));
      expect(retried.length).toBeGreaterThan(0);
      for (const l of retried) {
        expect(l.before).toBe(CLEAR);
        expect(l.line).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: aws call retried \{/);
      }
      const table = tableOf(run.screen);
      expect(tooWide(table)).toEqual([]);
      expect(table.find((l) => l.includes(REF))).toMatch(/^critical {2}dormant {2}/);
    }, 60_000);
  });

  it('stderr on the terminal, stdout to a file: the log line after the progress line starts on a clean line; the file is plain, whole cells', async () => {
    const out = join(dir, 'report.txt');
    const run = await nhiInPty('scan-stdout-file', ['scan'], { stdoutTo: out });
    expect(run.code).toBe(1);
    // Here a log line (the delivery retried at the scan's end) follows the progress line with
    // nothing but clear sequences between them: no newline of its own would save it.
    expect(run.raw).toMatch(
      /\r\x1b\[2Kscanning aws-local: 0 identities — 0\/s, \d+ s(\r\x1b\[2K)+\[\d\d:\d\d:\d\d\] \S*WARN\S*: \S*notification delivery failed/,
    );
    // ... and on the screen the progress line is gone and the log line starts at the left edge.
    expect(
      run.screen.some((l) => /^\[\d\d:\d\d:\d\d\] WARN: notification delivery failed; will retry/.test(l)),
    ).toBe(true);
    expect(gluedLogLines(run.screen)).toEqual([]);
    expect(progressLeft(run.screen)).toEqual([]);
    expect(run.screen.at(-1)).toBe(DONE);
    // Nothing of the report reached the terminal; the file has it, plain and unshortened.
    expect(run.raw).not.toContain('SEVERITY');
    const report = readFileSync(out, 'utf8');
    expect(report).not.toContain('\x1b');
    expect(report).toContain(SUMMARY);
    expect(tooWide(tableOf(report.split('\n'))).length).toBeGreaterThan(0);
  }, 60_000);

  describe('piped: no terminal at all', () => {
    it('nhi scan: JSON log lines on stderr, no escapes, no progress; the table on stdout plain with whole cells', () => {
      const r = nhiPiped('scan-piped', ['scan']);
      expect(r.code).toBe(1);
      for (const text of [r.stdout, r.stderr]) {
        expect(text).not.toContain('\x1b');
        expect(text).not.toContain('\r');
        expect(text).not.toContain('scanning ');
      }
      const logs = jsonLogLines(r.stderr);
      expect(logs.some((l) => l.level === 'warn' && l.msg === 'aws call retried')).toBe(true);
      expect(logs.some((l) => l.msg === 'notification delivery failed; will retry')).toBe(true);
      // The same table the terminal shortened, whole: wider than the terminal was.
      const table = tableOf(r.stdout.split('\n'));
      expect(table.find((l) => l.includes(REF))).toContain(SUMMARY);
      expect(tooWide(table).length).toBeGreaterThan(0);
    });

    it('nhi scan --json: stdout is one JSON document, stderr JSON log lines', () => {
      const r = nhiPiped('scan-piped-json', ['--json', 'scan']);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout) as { schemaVersion?: unknown };
      expect(doc.schemaVersion).toBeDefined();
      expect(JSON.stringify(doc)).toContain(REF);
      expect(jsonLogLines(r.stderr).some((l) => l.msg === 'aws call retried')).toBe(true);
      expect(r.stderr).not.toContain('\x1b');
    });

    it('FORCE_COLOR=1 colours the piped table; log lines stay JSON', () => {
      const r = nhiPiped('scan-piped-force', ['scan'], { FORCE_COLOR: '1' });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('\x1b[1m\x1b[31mcritical');
      expect(r.stdout).toContain(SUMMARY);
      expect(r.stderr).not.toContain('\x1b');
      expect(jsonLogLines(r.stderr).some((l) => l.msg === 'aws call retried')).toBe(true);
    });
  });
});
