#!/usr/bin/env node
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
