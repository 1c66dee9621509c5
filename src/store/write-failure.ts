/**
 * The state store could not be written: disk full, an I/O error, a read-only file. Reads
 * usually still work, so the engine can still learn what the run did and alert — but it can
 * no longer record a new status (docs/adr/043-faults-and-scrubbing.md).
 */
const WRITE_FAILURE = /^SQLITE_(FULL|IOERR|READONLY)/;
const OS_WRITE_FAILURE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);
/**
 * PostgreSQL SQLSTATEs of the same kind: disk_full, io_error, read_only_sql_transaction (a hot
 * standby, or default_transaction_read_only after a failover left nhi on a replica).
 */
const PG_WRITE_FAILURE = new Set(['53100', '58030', '25006']);

export function storeCannotWrite(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (WRITE_FAILURE.test(code) || OS_WRITE_FAILURE.has(code) || PG_WRITE_FAILURE.has(code)) return true;
  }
  return false;
}
