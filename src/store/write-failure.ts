/**
 * The state store could not be written: disk full, an I/O error, a read-only file. Reads
 * usually still work, so the engine can still learn what the run did and alert — but it can
 * no longer record a new status (docs/adr/043-faults-and-scrubbing.md).
 */
const WRITE_FAILURE = /^SQLITE_(FULL|IOERR|READONLY)/;
const OS_WRITE_FAILURE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

export function storeCannotWrite(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (WRITE_FAILURE.test(code) || OS_WRITE_FAILURE.has(code))) return true;
  }
  return false;
}
