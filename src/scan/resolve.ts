/**
 * The end-of-scan passes that run only when the walk finished (not interrupted):
 * identities that disappeared resolve their findings and are tombstoned (so a restore is a
 * re-enable), and revoked credentials are checked for use after revocation.
 */
import type { Logger } from 'pino';
import type { FindingType } from '../config/schema.js';
import type { CredentialProvider } from '../provider.js';
import type { FindingRecord } from '../store/types.js';
import { BatchWriter, type ScanStore } from './batch.js';
import type { AlertCandidate } from './findings.js';
import { findingId, reconcile, resolvedFinding } from './findings.js';
import { checkRevokedUse, REVOKED_USE_TYPES } from './revoked-use.js';
import type { FindingDraft } from './rules.js';
import { severityRankOf } from './severity.js';

export interface ResolveContext {
  store: ScanStore;
  scanId: string;
  nowIso: string;
  batchSize: number;
}

/** Returns how many findings were resolved. Only instances whose walk completed are passed in. */
export async function resolveUnseen(
  ctx: ResolveContext,
  instances: readonly string[],
  types: readonly FindingType[],
): Promise<number> {
  const writer = new BatchWriter(ctx.store, ctx.batchSize);
  let resolved = 0;
  for await (const ref of ctx.store.scans.refsNotSeenIn(ctx.scanId, instances)) {
    const prev = await ctx.store.scans.snapshot(ref);
    const snapshots =
      prev && prev.record.state !== 'deleted'
        ? [
            {
              ref,
              scanId: ctx.scanId,
              seenAt: ctx.nowIso,
              record: { ...prev.record, state: 'deleted', goneSince: ctx.nowIso },
            },
          ]
        : [];
    const findings: FindingRecord[] = [];
    const ids = types.map((type) => findingId(type, ref));
    const found = new Map((await ctx.store.findings.getMany(ids)).map((f) => [f.id, f]));
    for (const id of ids) {
      const f = found.get(id);
      if (f?.status === 'open')
        findings.push(
          resolvedFinding(
            {
              ...f,
              evidence: { ...f.evidence, resolvedBecause: 'identity no longer listed by its provider' },
            },
            ctx.nowIso,
          ),
        );
    }
    resolved += findings.length;
    await writer.add(snapshots, findings);
  }
  await writer.flush();
  return resolved;
}

function merge(a: FindingDraft, b: FindingDraft): FindingDraft {
  const worse = severityRankOf(b.severity) > severityRankOf(a.severity) ? b : a;
  const uses = [...((a.evidence.uses as unknown[]) ?? []), ...((b.evidence.uses as unknown[]) ?? [])];
  return { ...worse, evidence: { ...worse.evidence, uses } };
}

export async function resolveRevokedUse(
  ctx: ResolveContext,
  providers: ReadonlyMap<string, CredentialProvider>,
  contacts: string[],
  logger: Logger,
  signal?: AbortSignal,
): Promise<{
  alerts: AlertCandidate[];
  opened: number;
  resolved: number;
  skipped: { ref: string; reason: string }[];
}> {
  // Bounded by the number of recovered credentials, not by the estate. Keyed by type then ref.
  const drafts = new Map<FindingType, Map<string, FindingDraft>>(
    REVOKED_USE_TYPES.map((t) => [t, new Map()]),
  );
  const skipped: { ref: string; reason: string }[] = [];
  for await (const record of ctx.store.lineage.all()) {
    if (signal?.aborted) break;
    const provider = providers.get(record.ref.split(':')[0] ?? '');
    if (!provider) continue;
    const check = await checkRevokedUse(record, provider, logger);
    if (check.skipped) skipped.push({ ref: record.ref, reason: check.skipped });
    for (const draft of check.drafts ?? []) {
      const byRef = drafts.get(draft.type);
      const prior = byRef?.get(record.ref);
      byRef?.set(record.ref, prior ? merge(prior, draft) : draft);
    }
  }
  const out = { alerts: [] as AlertCandidate[], opened: 0, resolved: 0, skipped };
  if (signal?.aborted) return out;
  const writer = new BatchWriter(ctx.store, ctx.batchSize);
  for (const [type, byRef] of drafts) {
    for (const [ref, draft] of byRef) {
      const existing = new Map([[type, await ctx.store.findings.get(findingId(type, ref))]]);
      const r = reconcile(ref, [draft], existing, {
        now: ctx.nowIso,
        contacts: await ownersOf(ctx, ref, contacts),
      });
      out.alerts.push(...r.alerts);
      out.opened += r.opened;
      await writer.add([], r.upserts);
    }
  }
  // Deliberately no resolve pass: an open revoked-use finding is an incident signal and stays
  // open when the key is deleted or the evidence ages out, until acknowledged (ADR 051).
  await writer.flush();
  return out;
}

/** Owners as the latest snapshot saw them; the fallback contacts when none. */
async function ownersOf(ctx: ResolveContext, ref: string, fallback: string[]): Promise<string[]> {
  const snap = await ctx.store.scans.snapshot(ref);
  const owners = snap?.record.principals;
  return Array.isArray(owners) && owners.length > 0 ? owners.map(String) : fallback;
}
