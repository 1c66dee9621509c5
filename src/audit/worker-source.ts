/**
 * The code of a verify worker thread (./worker-pool.ts starts it), and what it answers. Inline
 * source, not a file beside this one: nothing to find next to a bundled or compiled CLI. It
 * embeds the range check and the store's range decoding by their text, which is why both stay
 * self-contained (a test holds them so).
 */
import { hashedRangeOf } from '../store/sqlite/audit-hashed.js';
import type { HashedRange } from '../store/types.js';
import { rangeIntact } from './range-check.js';

/**
 * The worker's code. It says when
 * it is ready, so nothing waits in the queue of a thread still starting while another could
 * take it. A range comes with its strings (read by the main thread), or as seqs to read on a
 * read-only connection of the worker's own (`reader`, AuditRanges.worker); a worker that cannot
 * read says so, and the range is read elsewhere.
 */
export const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const key = workerData.key;
const reader = workerData.reader;
const claimTypes = new Set(workerData.claimTypes);
const sha256Hex = crypto.hash
  ? (data) => crypto.hash('sha256', data, 'hex')
  : (data) => crypto.createHash('sha256').update(data).digest('hex');
const rangeIntact = ${rangeIntact.toString()};
const hashedRangeOf = ${hashedRangeOf.toString()};
let statement;
function open() {
  const Database = require(reader.driver);
  const db = new Database(reader.file, { readonly: true, fileMustExist: true });
  db.pragma('cache_size = -2000');
  db.pragma('busy_timeout = 10000');
  statement = db.prepare(reader.sql).raw(true);
}
function read(fromSeq, toSeq) {
  if (!statement) open();
  return hashedRangeOf(statement.get(fromSeq, toSeq));
}
// Opened before saying ready, so no range waits here for the driver to load (~10-20 ms); a
// failure shows at the first range, which then goes back.
if (reader) {
  try {
    open();
  } catch {}
}
parentPort.on('message', (job) => {
  if (job.kind === 'range') {
    let range = job.range;
    if (!range) {
      try {
        range = read(job.fromSeq, job.toSeq);
      } catch (error) {
        parentPort.postMessage({ id: job.id, unreadable: String(error) });
        return;
      }
    }
    const ok = rangeIntact(range, job.first, sha256Hex);
    if (job.range || !ok) {
      parentPort.postMessage({ id: job.id, ok });
      return;
    }
    // What the main thread walks: the types and hashes, the first prevHash (where ranges meet),
    // and only the inputs a claim checker parses; the rest stays here.
    const claims = [];
    if (claimTypes.size > 0) {
      const types = range.types.split('\\n');
      let inputs;
      for (let i = 0; i < types.length; i++)
        if (claimTypes.has(types[i])) claims.push([i, (inputs ??= range.inputs.split('\\n'))[i]]);
    }
    const { count, hashes, types } = range;
    const prevHashes = range.prevHashes.slice(0, 64);
    parentPort.postMessage({ id: job.id, ok, range: { count, seqs: '', prevHashes, hashes, types, inputs: '' }, claims });
    return;
  }
  const bad = [];
  for (let i = 0; i < job.items.length; i++) {
    let ok = false;
    try {
      ok = crypto.verify(null, Buffer.from(job.items[i][0], 'utf8'), key, Buffer.from(job.items[i][1], 'base64'));
    } catch {}
    if (!ok) bad.push(i);
  }
  parentPort.postMessage({ id: job.id, bad });
});
parentPort.postMessage({ ready: true });
`;

/** A worker's message to the pool. */
export interface Reply {
  ready?: true;
  id: number;
  /** A range: whether intact, and its strings when the worker read them. */
  ok?: boolean;
  range?: HashedRange;
  claims?: [number, string][];
  /** The worker could not read the range (why). */
  unreadable?: string;
  /** Signatures: the indexes in the batch that failed. */
  bad?: number[];
}
