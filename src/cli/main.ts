#!/usr/bin/env -S node --max-old-space-size=512
// The heap cap above is nhi's memory ceiling (ADR 090): with Node's default (a quarter of the
// machine's memory, up to 4 GB) V8 lets old garbage pile up to ~128 MB before its first full
// collection, so a long scan's peak RSS grew with the estate although its live heap stays flat
// (~22 MB after GC at 1k and at 100k identities). 512 MB is far above anything nhi holds (scans
// and incidents stream); `node --max-old-space-size=N $(command -v nhi)` overrides it.
import { runCli } from './program.js';

// `nhi ... | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Below Node 22 the AWS SDK prints a NodeVersionSupportWarning on every start (its releases after the
// first week of January 2027 need Node >= 22): on Node 20, still supported here, it would only be
// noise on stderr. On 22 and 24 the SDK has nothing to say, so nothing is silenced there
// (test/cli/node-runtime.test.ts checks both).
if (Number(process.versions.node.split('.')[0]) < 22) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
