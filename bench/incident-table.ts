/** From the incident runs' results to issue 15's goal and figures (medians of the repeats). */
import { type Goal, median } from './goals.js';
import type { IncidentChildResult } from './incident-child.js';
import type { IncidentMotoResult } from './incident-moto.js';

const med = <T>(rs: readonly T[], f: (r: T) => number) => median(rs.map(f));

export function incidentTable(results: ReadonlyMap<string, unknown[]>): {
  goals: Goal[];
  figures: string[];
  json: Record<string, unknown> | null;
} {
  const goals: Goal[] = [];
  const figures: string[] = [];
  const json: Record<string, unknown> = {};
  const aws = (results.get('incident aws') ?? []) as IncidentChildResult[];
  if (aws.length > 0) {
    const a = aws[0] as IncidentChildResult;
    const writeRate = med(aws, (r) => r.writesAdmitted / r.runSeconds);
    const ratio = writeRate / a.writeQuotaPerSecond;
    const throttled = Math.max(...aws.map((r) => r.throttled));
    const failed = Math.max(...aws.map((r) => r.targets - r.verified));
    figures.push(
      `incident aws (real engine + AWS adapter at its defaults, N=${a.n}, ${a.latency.minMs}-${a.latency.maxMs} ms): ` +
        `${med(aws, (r) => r.verified)}/${a.targets} recovered and verified in ${med(aws, (r) => r.runSeconds).toFixed(1)} s ` +
        `= ${med(aws, (r) => r.completed / r.runSeconds).toFixed(2)} recoveries/s; ` +
        `${med(aws, (r) => r.writes)} writes (${(a.writes / a.targets).toFixed(1)} per recovery) at ${writeRate.toFixed(1)}/s ` +
        `of ${a.writeQuotaPerSecond}/s published (adapter budget ${a.writeBudgetPerSecond}/s); throttled ${throttled}; ` +
        `request ${med(aws, (r) => r.fileSeconds).toFixed(1)} s, approve ${med(aws, (r) => r.approveSeconds).toFixed(2)} s; ` +
        `run calls ${JSON.stringify(a.calls)}${a.firstProblem ? `; first problem: ${a.firstProblem}` : ''}`,
    );
    json.aws = {
      n: a.n,
      runSeconds: med(aws, (r) => r.runSeconds),
      recoveriesPerSecond: med(aws, (r) => r.completed / r.runSeconds),
      writesPerSecond: writeRate,
      writeQuotaPerSecond: a.writeQuotaPerSecond,
      writeBudgetPerSecond: a.writeBudgetPerSecond,
      quotaRatio: ratio,
      throttled,
      repeats: aws,
    };
    goals.push({
      name: 'incident aws: write rate ÷ the published write quota',
      measured: ratio,
      limit: 0.8,
      unit: 'x quota',
      kind: 'min',
      detail: `${writeRate.toFixed(1)} writes/s ÷ ${a.writeQuotaPerSecond}/s (${a.writeQuotaSource}); every write the fake received during runIncident, over its wall time`,
    });
    goals.push({
      name: 'incident aws: throttled calls and unrecovered targets',
      measured: throttled + failed,
      limit: 0,
      unit: 'calls+targets',
      kind: 'max',
      detail: `the most in any repeat: ${throttled} throttled, ${failed} not recovered and verified`,
    });
  }
  const moto = (results.get('incident moto') ?? []) as IncidentMotoResult[];
  if (moto.length > 0) {
    const m = moto[0] as IncidentMotoResult;
    const run = med(moto, (r) => r.runSeconds);
    const total = med(moto, (r) => r.requestSeconds + r.approveSeconds + r.runSeconds);
    json.moto = { n: m.n, runSeconds: run, totalSeconds: total, repeats: moto };
    figures.push(
      `incident moto (nhi CLI end to end, N=${m.n}, local moto): request ${med(moto, (r) => r.requestSeconds).toFixed(1)} s, ` +
        `approve ${med(moto, (r) => r.approveSeconds).toFixed(1)} s, run ${run.toFixed(1)} s ` +
        `(${med(moto, (r) => r.completed / r.runSeconds).toFixed(1)} recoveries/s); total ${total.toFixed(1)} s; ` +
        `${med(moto, (r) => r.verified)}/${m.n} verified on moto${m.firstProblem ? `; first problem: ${m.firstProblem}` : ''}`,
    );
  }
  return { goals, figures, json: Object.keys(json).length ? json : null };
}
