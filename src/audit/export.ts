import { createWriteStream } from 'node:fs';
import { AuditError } from '../lib/errors.js';
import type { AuditArea } from '../store/store.js';

/** JSONL for a SIEM: one entry per line, checkpoints as their own lines. Returns the entry count. */
export async function exportAuditJsonl(
  audit: AuditArea,
  outPath: string,
): Promise<{ entries: number; checkpoints: number }> {
  const out = createWriteStream(outPath, { mode: 0o640 });
  // An open or write failure (missing directory, full disk) is emitted asynchronously, often while
  // the next page of entries is being read; without a listener it would crash the process.
  let failure: Error | undefined;
  out.on('error', (error) => {
    failure ??= error;
  });
  const check = () => {
    if (failure) {
      throw new AuditError(
        `cannot write audit export ${outPath}: ${(failure as NodeJS.ErrnoException).code ?? failure.message}`,
        {
          cause: failure,
        },
      );
    }
  };
  const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
  let entries = 0;
  const write = async (line: string) => {
    check();
    if (!out.write(`${line}\n`))
      await Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), closed]);
  };
  try {
    for await (const entry of audit.entries()) {
      await write(JSON.stringify({ kind: 'entry', ...entry }));
      entries++;
    }
    const checkpoints = await audit.checkpoints();
    for (const cp of checkpoints) await write(JSON.stringify({ kind: 'checkpoint', ...cp }));
    out.end();
    await closed;
    check();
    return { entries, checkpoints: checkpoints.length };
  } finally {
    if (!out.closed) out.destroy();
  }
}
