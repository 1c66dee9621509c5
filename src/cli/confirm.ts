/**
 * The owner's confirmation before a decision is signed. On a terminal nhi shows the plan and
 * asks; anywhere else (a script, CI, a pipe) nobody sees the plan, so the owner must name the
 * digest they reviewed with `--digest` — a signature is never made on a plan nobody looked at.
 */
import { UsageError } from '../lib/errors.js';
import type { CliIo } from './context.js';

/** Is there a person to ask? Both the question's answer (stdin) and the plan (stdout) must be a terminal. */
export function canAsk(io: CliIo): boolean {
  return io.stdin?.isTTY === true && io.stdout.isTTY === true;
}

/** Ask `question [y/N]` on the terminal; true only for y/yes. End of input counts as no. */
export async function askYesNo(io: CliIo, question: string): Promise<boolean> {
  const stdin = io.stdin;
  if (!stdin) return false;
  io.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) done(text.slice(0, nl));
    };
    const onEnd = (): void => done(text);
    const done = (line: string): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause?.();
      resolve(line);
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume?.();
  });
  return /^\s*y(es)?\s*$/i.test(answer);
}

/**
 * The digest check every decision makes before signing: with `--digest` it must be the plan's;
 * without it, a person must confirm on a terminal. Returns false when the person said no.
 */
export async function confirmDecision(
  io: CliIo,
  o: { decision: string; planDigest: string; digest?: string; what: string; seePlan: string },
): Promise<boolean> {
  if (o.digest !== undefined) return true; // compared with the plan by the signer (digest-mismatch, exit 3)
  if (!canAsk(io)) {
    throw new UsageError(
      `not a terminal, so nobody has seen the plan: pass --digest ${o.planDigest} to ${o.decision} exactly the plan you reviewed (${o.seePlan})`,
    );
  }
  return askYesNo(io, `${o.decision} ${o.what}?`);
}
