import { AuditError, NhiError } from '../lib/errors.js';
import { writeOutputFile } from '../lib/output-file.js';
import type { AuditArea } from '../store/store.js';

/**
 * JSONL for a SIEM: one entry per line, checkpoints as their own lines. Returns the entry count.
 * Written through a temp file and renamed into place (src/lib/output-file.ts): a failed export
 * (full disk) leaves no half file, and a device, FIFO or symlink at `outPath` is refused.
 */
export async function exportAuditJsonl(
  audit: AuditArea,
  outPath: string,
): Promise<{ entries: number; checkpoints: number }> {
  let entries = 0;
  let checkpoints = 0;
  try {
    await writeOutputFile(
      outPath,
      async (write) => {
        for await (const entry of audit.entries()) {
          await write(`${JSON.stringify({ kind: 'entry', ...entry })}\n`);
          entries++;
        }
        for (const cp of await audit.checkpoints()) {
          await write(`${JSON.stringify({ kind: 'checkpoint', ...cp })}\n`);
          checkpoints++;
        }
      },
      { mode: 0o640 },
    );
  } catch (error) {
    if (error instanceof NhiError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new AuditError(`cannot write audit export ${outPath}: ${code ?? (error as Error).message}`, {
      cause: error,
    });
  }
  return { entries, checkpoints };
}
