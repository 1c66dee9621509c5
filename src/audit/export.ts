import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { AuditArea } from '../store/store.js';

/** JSONL for a SIEM: one entry per line, checkpoints as their own lines. Returns the entry count. */
export async function exportAuditJsonl(audit: AuditArea, outPath: string): Promise<{ entries: number; checkpoints: number }> {
  const out = createWriteStream(outPath, { mode: 0o640 });
  let entries = 0;
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  for await (const entry of audit.entries()) {
    await write(JSON.stringify({ kind: 'entry', ...entry }));
    entries++;
  }
  const checkpoints = await audit.checkpoints();
  for (const cp of checkpoints) await write(JSON.stringify({ kind: 'checkpoint', ...cp }));
  out.end();
  await once(out, 'finish');
  return { entries, checkpoints: checkpoints.length };
}
