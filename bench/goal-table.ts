/** From the runs' results to issue 17's goals and the figures printed above them (medians). */
import type { AuditChildResult } from './audit-child.js';
import { type Goal, median } from './goals.js';
import type { Latency } from './quota-fake.js';
import type { ScanChildResult } from './scan-child.js';
import type { StartupResult } from './startup.js';

const med = <T>(rs: readonly T[], f: (r: T) => number) => median(rs.map(f));

export function goalTable(
  results: ReadonlyMap<string, unknown[]>,
  ctx: { latency: Latency },
): { goals: Goal[]; figures: string[] } {
  const goals: Goal[] = [];
  const figures: string[] = [];
  const get = <T>(name: string) => (results.get(name) ?? []) as T[];

  for (const p of ['aws', 'azure'] as const) {
    const rs = get<ScanChildResult>(`scan ${p}`);
    if (rs.length === 0) continue;
    const first = rs[0] as ScanChildResult;
    const rate = med(rs, (r) => r.identities / r.seconds);
    const ideal = med(rs, (r) => r.n / r.idealSeconds);
    figures.push(
      `scan ${p} (real adapter, N=${first.n}): ${rate.toFixed(0)} identities/s; ideal ${ideal.toFixed(0)}/s (${first.bound}); ` +
        `throttled ${med(rs, (r) => r.throttled)}; calls ${JSON.stringify(first.calls)}; report ${med(rs, (r) => r.reportSeconds).toFixed(2)} s`,
    );
    goals.push({
      name: `scan ${p}: throughput vs the quota/latency-bound ideal`,
      measured: rate,
      limit: 0.9 * ideal,
      unit: 'ids/s',
      kind: 'min',
      detail: `limit = 90 % of ${ideal.toFixed(0)} ids/s (${first.bound}, ${ctx.latency.minMs}-${ctx.latency.maxMs} ms a call)`,
    });
    goals.push({
      name: `scan ${p}: throttled calls`,
      measured: Math.max(...rs.map((r) => r.throttled)),
      limit: 0,
      unit: 'calls',
      kind: 'max',
      detail: 'the most throttles in any repeat',
    });
  }

  for (const p of ['aws', 'azure'] as const) {
    const rs = get<ScanChildResult>(`defaults ${p}`);
    if (rs.length === 0) continue;
    const first = rs[0] as ScanChildResult;
    const rate = med(rs, (r) => r.callRate);
    figures.push(
      `${p} adapter at default settings (inventory only, N=${first.n}, ${first.latency.minMs}-${first.latency.maxMs} ms): ` +
        `${rate.toFixed(1)} ${first.quotaApi} calls/s of ${first.quotaRate}/s published; throttled ${med(rs, (r) => r.throttled)}`,
    );
    goals.push({
      name: `${p} adapter at defaults: call rate vs the published quota`,
      measured: rate,
      limit: 0.8 * first.quotaRate,
      unit: 'calls/s',
      kind: 'min',
      detail: `limit = 80 % of ${first.quotaRate}/s (${first.quotaApi}); throttles ${Math.max(...rs.map((r) => r.throttled))}`,
    });
  }

  const audit = get<AuditChildResult>('audit');
  if (audit.length > 0) {
    const a = audit[0] as AuditChildResult;
    const sha = med(audit, (r) => r.rawSha256Seconds);
    const chain = med(audit, (r) => r.chainSeconds);
    const verify = med(audit, (r) => r.verifySeconds);
    const floor = med(audit, (r) => r.rawSha256Seconds + r.ed25519Seconds);
    figures.push(
      `audit verify over ${a.entries} entries, ${(a.bytes / 2 ** 20).toFixed(1)} MB hashed, ${a.signatures} signatures: ` +
        `raw SHA-256 ${sha.toFixed(3)} s, chain check ${chain.toFixed(3)} s (the store's read alone, on one thread, ${med(audit, (r) => r.readSeconds).toFixed(3)} s), ` +
        `Ed25519 floor ${med(audit, (r) => r.ed25519Seconds).toFixed(3)} s, whole verify ${verify.toFixed(3)} s (${a.workers} worker thread(s) beside the main thread)`,
    );
    goals.push({
      name: 'audit verify: chain check speed vs raw SHA-256 of the same bytes',
      measured: med(audit, (r) => r.bytes / r.chainSeconds / 2 ** 20),
      limit: 0.5 * med(audit, (r) => r.bytes / r.rawSha256Seconds / 2 ** 20),
      unit: 'MB/s',
      kind: 'min',
      detail: 'limit = 50 % of node:crypto SHA-256 over the concatenated hashed bytes, same process',
    });
    goals.push({
      name: 'audit verify: whole verification vs the physical floor',
      measured: verify,
      limit: 1.25 * floor,
      unit: 's',
      kind: 'max',
      detail: `limit = 1.25 x (raw SHA-256 ${sha.toFixed(3)} s + one Ed25519 verify per signature)`,
    });
  }

  const rss = [...results.keys()]
    .filter((k) => k.startsWith('rss '))
    .map((k) => [k, get<ScanChildResult>(k)] as const);
  if (rss.length >= 2) {
    const [small, large] = [rss[0], rss[rss.length - 1]] as [(typeof rss)[number], (typeof rss)[number]];
    const s = med(small[1], (r) => r.peakRssMb);
    const l = med(large[1], (r) => r.peakRssMb);
    figures.push(
      `peak RSS (full AWS scan + report, child process): ${small[0].slice(4)} identities ${s.toFixed(1)} MB, ` +
        `${large[0].slice(4)} identities ${l.toFixed(1)} MB; heap after GC ${med(large[1], (r) => r.retainedHeapMb).toFixed(1)} MB`,
    );
    goals.push({
      name: `memory: peak RSS at ${large[0].slice(4)} identities vs at ${small[0].slice(4)}`,
      measured: l,
      limit: 1.2 * s,
      unit: 'MB',
      kind: 'max',
      detail: `limit = 1.2 x ${s.toFixed(1)} MB`,
    });
  }

  const st = get<StartupResult>('startup');
  if (st.length > 0) {
    const help = med(st, (r) => r.helpMs);
    const node = med(st, (r) => r.nodeMs);
    const first = med(st, (r) => r.firstCallMs);
    const sdk = med(st, (r) => r.sdkFloorMs);
    figures.push(
      `start-up: nhi --help ${help.toFixed(0)} ms, node -e 0 ${node.toFixed(0)} ms; first provider call of a single AWS run ${first.toFixed(0)} ms after spawn (a script that only loads the AWS SDK and sends ListSecrets: ${sdk.toFixed(0)} ms)`,
    );
    goals.push({
      name: 'start-up: nhi --help vs node -e 0',
      measured: help,
      limit: 2 * node,
      unit: 'ms',
      kind: 'max',
      detail: `limit = 2 x ${node.toFixed(0)} ms (node -e 0, same run)`,
    });
    goals.push({
      name: 'start-up: first provider call of a single AWS run',
      measured: first,
      limit: 150,
      unit: 'ms',
      kind: 'max',
      detail:
        'spawn of `nhi inventory` (secret-only AWS config) to the first request at a local Secrets Manager endpoint',
    });
  }
  return { goals, figures };
}
