/**
 * The witness half of `nhi audit verify`: `--witness SOURCE` checks that the store's chain
 * extends every checkpoint the witness holds; the configured witnesses' delivery progress is
 * reported (pending or failing deliveries are a warning, not tampering).
 */
import type { App } from '../../app.js';
import { WITNESS_SOURCE_SYNTAX, witnessSourceFrom } from '../../audit/witness/build.js';
import { checkAgainstWitness, type WitnessVerdict } from '../../audit/witness/check.js';
import type { WitnessStatus } from '../../audit/witness/publisher.js';
import type { WitnessSource } from '../../audit/witness/types.js';
import type { CliContext } from '../context.js';

export const WITNESS_OPTION_HELP = `a witness to check the store against (repeatable): ${WITNESS_SOURCE_SYNTAX}`;

export interface WitnessReport {
  ok: boolean;
  witnesses: WitnessVerdict[];
  witnessDelivery: WitnessStatus[];
}

/** commander collector for a repeatable option. */
export function collectWitness(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Parse every `--witness` first, so a typo is a usage error before the (long) chain check. */
export function witnessSources(app: App, specs: readonly string[]): WitnessSource[] {
  return specs.map((spec) => witnessSourceFrom(spec, app.config));
}

export async function checkWitnesses(app: App, sources: readonly WitnessSource[]): Promise<WitnessReport> {
  const witnesses: WitnessVerdict[] = [];
  for (const source of sources)
    witnesses.push(await checkAgainstWitness(app.store.audit, app.auditPublicKey, source));
  return {
    ok: witnesses.every((w) => w.ok),
    witnesses,
    witnessDelivery: await app.witnesses.statuses(),
  };
}

/** The verdict JSON with the witness verdicts in it; `ok` is false if any witness disagrees. */
export function withWitnesses<T extends { ok: boolean }>(
  verdict: T,
  report: WitnessReport,
): T & WitnessReport {
  return { ...verdict, ...report, ok: verdict.ok && report.ok };
}

export function witnessFailure(report: WitnessReport): string | undefined {
  const bad = report.witnesses.filter((w) => !w.ok);
  if (bad.length === 0) return undefined;
  return (
    'audit log does NOT extend its witness: ' +
    bad.map((w) => `${w.source}: ${w.problem?.kind ?? 'failed'}: ${w.problem?.reason ?? ''}`).join('; ')
  );
}

export function printWitnessReport(ctx: CliContext, report: WitnessReport): void {
  for (const w of report.witnesses) {
    if (!w.ok) continue;
    const held =
      w.records === 0 ? 'no checkpoints' : `${w.records} checkpoint(s), newest seq ${w.newestWitnessedSeq}`;
    ctx.print(`  witness ${w.source}: the store extends it (${held})`);
    if (w.ignored > 0)
      ctx.print(`    warning: ${w.ignored} record(s) ignored (not JSON, another key or a bad signature)`);
    if (w.note) ctx.print(`    note: ${w.note}`);
  }
  printDeliveryWarnings(ctx, report.witnessDelivery);
}

/** Printed even when verification fails: a stuck witness is worth knowing about either way. */
export function printDeliveryWarnings(ctx: CliContext, statuses: readonly WitnessStatus[]): void {
  for (const s of statuses) {
    if (s.deliveredSeq >= s.newestCheckpointSeq && s.failures === 0) continue;
    const error = s.lastError ? `; last error: ${s.lastError} (${s.failures} failed attempt(s))` : '';
    ctx.print(
      `  warning: witness "${s.name}" (${s.type}) has checkpoints up to seq ${s.deliveredSeq} of ${s.newestCheckpointSeq}${error}; ` +
        'pending ones are retried with the next checkpoint and when any nhi command ends',
    );
  }
}
