// Narration and the CLI runner for `npm run demo`: every nhi command is printed exactly as a
// user can paste it (from the repository root), then run as a child process.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT_DIR = 'demo-output';
export const CONFIG = `${OUT_DIR}/nhi.config.json`;
// The trust anchor test/servers/servers.sh records for whatever it started on :8443: a symlink
// to keyvault-ca.pem for the repo's fake, the extracted certificate when Lowkey Vault runs.
export const CA_PEM = '.servers/lowkey-ca.pem';
export const CLI = 'dist/src/cli/main.js';

/** A step that did not do what it said: main.mjs prints it and exits 1. */
export class DemoError extends Error {}

let stepNo = 0;
let currentStep = '';
export const current = () => currentStep;

export function step(title) {
  stepNo += 1;
  currentStep = `${stepNo}. ${title}`;
  console.log(`\n${'='.repeat(78)}\n${currentStep}\n${'='.repeat(78)}`);
}

/** Plain-words narration; lines longer than 100 columns are wrapped. */
export function say(text) {
  if (text.length <= 100) return console.log(`  ${text}`);
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + w.length + 1 > 96) {
      console.log(`  ${line}`);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) console.log(`  ${line}`);
}

export const check = (ok, message) => {
  if (!ok) throw new DemoError(message);
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

// Below Node 22 the AWS SDK warns on every process that its 2027 releases need Node 22; that is
// noise here. On 22 and 24 it does not warn, so nothing is silenced.
if (Number(process.versions.node.split('.')[0]) < 22) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
export const cliEnv = () => ({ ...process.env, NODE_EXTRA_CA_CERTS: join(ROOT, CA_PEM) });

/**
 * Run `node dist/src/cli/main.js --config demo-output/nhi.config.json ARGS`, print the command,
 * then its output (filtered / trimmed when asked). Throws DemoError on an unexpected exit code.
 *   show: false (print nothing of stdout) | function(stdout) -> text to print
 *   maxLines: trim long outputs
 */
export function nhi(args, { expect = [0], show = true, maxLines = 60, json = false } = {}) {
  const full = ['--config', CONFIG, ...(json ? ['--json'] : []), ...args];
  console.log(`\n  $ node ${CLI} ${full.map(quote).join(' ')}`);
  const r = spawnSync(process.execPath, [CLI, ...full], {
    cwd: ROOT,
    env: cliEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = r.stdout ?? '';
  const stderr = (r.stderr ?? '').trim();
  let text = show === true ? stdout : typeof show === 'function' ? show(stdout) : '';
  const lines = text.replace(/\s+$/, '').split('\n');
  if (lines.length > maxLines)
    text = [...lines.slice(0, maxLines), `  ... (${lines.length - maxLines} more lines)`].join('\n');
  if (text.trim()) console.log(indent(text));
  if (stderr) console.log(indent(stderr, '    | '));
  if (r.error) throw new DemoError(`could not start the CLI: ${r.error.message}`);
  if (!expect.includes(r.status)) {
    throw new DemoError(
      `"nhi ${args.join(' ')}" exited ${r.status ?? r.signal} (expected ${expect.join(' or ')})`,
    );
  }
  let parsed;
  if (json) {
    try {
      parsed = JSON.parse(stdout);
    } catch {
      throw new DemoError(`"nhi ${args.join(' ')}" did not print JSON`);
    }
  }
  return { code: r.status, stdout, stderr, json: parsed };
}

export function indent(text, prefix = '    ') {
  return text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}
