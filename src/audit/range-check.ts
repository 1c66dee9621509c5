/**
 * The chain check of one range of entries, from the store's aggregated strings
 * (AuditRanges.read): whenever it says "intact", checking the entries one by one
 * (./chain-check.ts `breaks`) finds nothing either, given the range starts at `first` and the
 * chain before it ends at the range's first prevHash (which the caller checks where ranges
 * meet). Anything it cannot vouch for is "not intact", and the caller checks that range entry
 * by entry, to name the first bad seq and why (that check also accepts entries hashed before
 * `data` was stored canonical).
 *
 * It runs on worker threads as well as here: the worker's source embeds this function's text
 * (./worker-source.ts), so it must stay self-contained — nothing from its module or any other,
 * only its parameters and the language's own globals.
 */
import type { HashedRange } from '../store/types.js';

/**
 * True when `r` holds exactly the entries first, first+1, ... in that order, each hash is
 * SHA-256 of that entry's prevHash and body, and each prevHash after the first is its
 * predecessor's hash. Hashes and prevHashes are comma-separated, and a digest holds no comma,
 * so equal strings mean equal hashes one by one, each a 64-character digest; the inputs then
 * start with exactly their 64-character prevHash.
 */
export function rangeIntact(r: HashedRange, first: number, sha256Hex: (data: string) => string): boolean {
  const n = r.count;
  if (n === 0) return false;
  // The order every field lists its rows in: the seqs themselves say it.
  let seqs = `${first}`;
  for (let i = 1; i < n; i++) seqs += `,${first + i}`;
  if (r.seqs !== seqs) return false;
  // A NUL stands for a row the store could not build an input for (a column not text); a
  // newline inside an input would change the count.
  if (r.inputs.includes('\0')) return false;
  const inputs = r.inputs.split('\n');
  if (inputs.length !== n) return false;
  // prevHashes: the first (64 characters; the caller compares it with the hash before the
  // range, which holds no comma), then every hash but the last.
  if (r.prevHashes.length !== 65 * n - 1) return false;
  if (n > 1 && (r.prevHashes[64] !== ',' || r.prevHashes.slice(65) !== r.hashes.slice(0, 65 * (n - 1) - 1)))
    return false;
  let digests = sha256Hex(inputs[0] as string);
  for (let i = 1; i < n; i++) digests += `,${sha256Hex(inputs[i] as string)}`;
  return digests === r.hashes;
}
