/** The built CLI (test/servers/test-build.ts) as a child process, the way a user runs it. */
import { spawnSync } from 'node:child_process';
import { testCliMain } from '../servers/test-build.js';

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `nhi ARGS` with only PATH, HOME and `env` in its environment (no NHI_CONFIG, no AWS_* of the machine). */
export function nhi(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): ChildResult {
  const r = spawnSync(process.execPath, [testCliMain(), ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: {
      PATH: process.env.PATH,
      HOME: opts.cwd ?? process.env.HOME,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...opts.env,
    },
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
