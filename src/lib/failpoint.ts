/**
 * Fault points for crash testing (the etcd gofail idea). The executor receives them through
 * EngineDeps (like `retry` and `sleep`); only the composition root (src/app.ts) builds them
 * from the environment, so no production module reads test switches from process.env.
 *   - NHI_FAILPOINT=<step>:<point> SIGKILLs the process right there: no cleanup, no flush,
 *     so the crash matrix can prove `nhi resume` recovers from any step boundary;
 *   - NHI_LOSE_RESPONSE=<step> makes one successful call look failed (a lost response).
 * Both are inert unless set (docs/adr/003-failpoints.md).
 */
export interface FaultPoints {
  /** Called at each named step boundary; may not return. */
  crashAt(name: string): void;
  /** True once when the response of `step` should be treated as lost. */
  loseResponse(step: string): boolean;
}

export const NO_FAULTS: FaultPoints = { crashAt: () => undefined, loseResponse: () => false };

export function faultPointsFromEnv(env: NodeJS.ProcessEnv): FaultPoints {
  const crashPoint = env.NHI_FAILPOINT || undefined;
  let losePoint = env.NHI_LOSE_RESPONSE || undefined;
  if (!crashPoint && !losePoint) return NO_FAULTS;
  return {
    crashAt(name) {
      if (name === crashPoint) process.kill(process.pid, 'SIGKILL');
    },
    loseResponse(step) {
      if (step !== losePoint) return false;
      // Only once per process, so the retry can see the effect.
      losePoint = undefined;
      return true;
    },
  };
}
