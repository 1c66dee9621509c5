/**
 * `revoked-still-used`: for every recovery in the lineage whose old versions were revoked,
 * ask the provider (capability `activity`) for use of those versions since revocation.
 * Use after revocation means someone still holds the old credential: possibly an attacker.
 */
import type { Logger } from 'pino';
import type { FindingType } from '../config/schema.js';
import { parseRef } from '../lib/ref.js';
import type { ActivityEvidence, CredentialProvider } from '../provider.js';
import type { LineageRecord } from '../store/types.js';
import type { FindingDraft } from './rules.js';
import { BASE_SEVERITY } from './severity.js';

export type RevokedUseVerdict = 'yes' | 'possible';

/** The finding type per verdict: certain use is critical, possible use its own type (ADR 051). */
export const REVOKED_USE_TYPE = {
  yes: 'revoked-still-used',
  possible: 'revoked-possibly-used',
} as const satisfies Record<RevokedUseVerdict, FindingType>;

/** The incident types: they stay open until acknowledged (`nhi findings ack`), never resolve by themselves. */
export const REVOKED_USE_TYPES: readonly FindingType[] = Object.values(REVOKED_USE_TYPE);

export interface RevokedUseCheck {
  ref: string;
  /** At most one draft per verdict. */
  drafts?: FindingDraft[];
  /** Why nothing could be checked (no capability, provider error). */
  skipped?: string;
}

/** Day-precision signals cannot order a use and a revocation on the same day: that is "possible". */
function usedAfter(ev: ActivityEvidence, revokedAt: string): RevokedUseVerdict | 'no' {
  if (!ev.lastUsedAt || ev.confidence === 'none') return 'no';
  if (ev.confidence === 'day') {
    const used = ev.lastUsedAt.slice(0, 10);
    const revoked = revokedAt.slice(0, 10);
    return used > revoked ? 'yes' : used === revoked ? 'possible' : 'no';
  }
  if (Date.parse(ev.lastUsedAt) <= Date.parse(revokedAt)) return 'no';
  return ev.confidence === 'weak' ? 'possible' : 'yes';
}

export async function checkRevokedUse(
  record: LineageRecord,
  provider: CredentialProvider,
  logger: Logger,
): Promise<RevokedUseCheck> {
  const revoked = record.oldVersions.filter((v): v is typeof v & { revokedAt: string } =>
    Boolean(v.revokedAt),
  );
  if (revoked.length === 0) return { ref: record.ref };
  const ref = parseRef(record.ref);
  const cap = provider.capabilities[ref.kind as keyof typeof provider.capabilities];
  if (!cap?.activity || !provider.activitySince) {
    return {
      ref: record.ref,
      skipped: `provider ${provider.instance} reports no activity for kind ${ref.kind}`,
    };
  }
  const since = revoked.map((v) => v.revokedAt).sort()[0] as string;
  let evidence: ActivityEvidence[];
  try {
    evidence = await provider.activitySince(
      ref,
      since,
      revoked.map((v) => v.versionId),
    );
  } catch (error) {
    logger.warn({ ref: record.ref, err: (error as Error).message }, 'activity check failed');
    return { ref: record.ref, skipped: `activity check failed: ${(error as Error).message}` };
  }
  // Certain and possible use are separate findings (docs/adr/051-finding-severity.md): a
  // same-day day-precision signal must not page anyone as a confirmed incident.
  const uses: Record<RevokedUseVerdict, Record<string, unknown>[]> = { yes: [], possible: [] };
  for (const ev of evidence) {
    const version = ev.versionId ? revoked.find((v) => v.versionId === ev.versionId) : revoked[0];
    if (!version) continue;
    const verdict = usedAfter(ev, version.revokedAt);
    if (verdict === 'no') continue;
    uses[verdict].push({
      versionId: version.versionId,
      revokedAt: version.revokedAt,
      lastUsedAt: ev.lastUsedAt,
      signal: ev.signal,
      confidence: ev.confidence,
      verdict,
      ...(ev.detail ? { detail: ev.detail } : {}),
    });
  }
  const drafts: FindingDraft[] = [];
  for (const verdict of ['yes', 'possible'] as const) {
    const list = uses[verdict];
    if (list.length === 0) continue;
    const type = REVOKED_USE_TYPE[verdict];
    const first = list[0] as { versionId: string; lastUsedAt: string; revokedAt: string; signal: string };
    drafts.push({
      type,
      severity: BASE_SEVERITY[type],
      summary: `${verdict === 'yes' ? 'used' : 'possibly used (same day, day-precision signal)'} after revocation: version ${first.versionId} revoked ${first.revokedAt}, last used ${first.lastUsedAt} (${first.signal})`,
      evidence: { runId: record.runId, requestId: record.requestId, lineageId: record.id, uses: list },
    });
  }
  return { ref: record.ref, drafts };
}
