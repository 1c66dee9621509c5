/**
 * An `nhi audit export` file read back as an audit source, so `nhi audit verify --export FILE`
 * checks the exported chain, checkpoints and every signed claim (approvals, passkey assertions,
 * reviews) without the store: what an auditor holds is verified, not what the database says now.
 * The file is untrusted input: a line that is not a well-formed entry or checkpoint stops the
 * read with its line number (verification then reports the log as not intact).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AuditError } from '../lib/errors.js';
import type { AuditCheckpoint, AuditEntry } from '../store/types.js';
import type { AuditSource } from './verify.js';

type Kind = 'entry' | 'checkpoint';

async function* linesOfKind(path: string, kind: Kind): AsyncGenerator<Record<string, unknown>> {
  const input = createReadStream(path, { encoding: 'utf8' });
  await new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (error: NodeJS.ErrnoException) =>
      reject(new AuditError(`cannot read audit export ${path}: ${error.code ?? error.message}`)),
    );
  });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new AuditError(`audit export ${path} line ${n} is not JSON`);
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw new AuditError(`audit export ${path} line ${n} is not an object`);
      }
      const { kind: k, ...rest } = row as Record<string, unknown>;
      if (k !== 'entry' && k !== 'checkpoint') {
        throw new AuditError(
          `audit export ${path} line ${n} has kind ${JSON.stringify(k)} (entry or checkpoint)`,
        );
      }
      if (k === kind) yield rest;
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function asEntry(row: Record<string, unknown>): AuditEntry {
  const { seq, ts, type, actor, subject, data, prevHash, hash } = row;
  const dataOk = typeof data === 'object' && data !== null && !Array.isArray(data);
  if (!isSeq(seq) || ![ts, type, actor, subject, prevHash, hash].every(isStr) || !dataOk) {
    throw new AuditError(
      `audit export entry ${String(seq)} lacks a field of {seq, ts, type, actor, subject, data, prevHash, hash}`,
    );
  }
  return row as unknown as AuditEntry;
}

function asCheckpoint(row: Record<string, unknown>): AuditCheckpoint {
  const { seq, hash, ts, keyId, signature } = row;
  if (!isSeq(seq) || ![hash, ts, keyId, signature].every(isStr)) {
    throw new AuditError(
      `audit export checkpoint ${String(seq)} lacks a field of {seq, hash, ts, keyId, signature}`,
    );
  }
  return row as unknown as AuditCheckpoint;
}

export function auditExportSource(path: string): AuditSource {
  return {
    async *entries(fromSeq = 0) {
      for await (const row of linesOfKind(path, 'entry')) {
        const entry = asEntry(row);
        if (entry.seq >= fromSeq) yield entry;
      }
    },
    async *checkpointsFrom(fromSeq = 0) {
      for await (const row of linesOfKind(path, 'checkpoint')) {
        const cp = asCheckpoint(row);
        if (cp.seq >= fromSeq) yield cp;
      }
    },
  };
}
