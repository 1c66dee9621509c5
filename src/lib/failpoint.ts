/**
 * Failpoints for crash testing (the etcd gofail idea): when NHI_FAILPOINT names this
 * point, the process kills itself with SIGKILL right here — no cleanup, no flush — so the
 * crash-matrix tests can prove `nhi resume` recovers from any step boundary. Inert unless
 * the variable is set.
 */
export function failpoint(name: string): void {
  const wanted = process.env.NHI_FAILPOINT;
  if (wanted && wanted === name) process.kill(process.pid, 'SIGKILL');
}

/** Simulates a lost response: the call took effect but its answer never arrived. */
export function lostResponsePoint(name: string): boolean {
  const wanted = process.env.NHI_LOSE_RESPONSE;
  if (wanted && wanted === name) {
    // Only once per process, so the retry can see the effect.
    process.env.NHI_LOSE_RESPONSE = '';
    return true;
  }
  return false;
}
