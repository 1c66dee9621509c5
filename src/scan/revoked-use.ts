/**
 * `revoked-still-used`: for every recovery in the lineage whose old versions were revoked,
 * ask the provider (capability `activity`) for use of those versions since revocation.
 * Use after revocation means someone still holds the old credential: possibly an attacker.
 */
import type { Logger } from 'pino';
import type { Severity } from '../config/schema.js';
import { parseRef } from '../lib/ref.js';
import type { ActivityEvidence, CredentialProvider } from '../provider.js';
import type { LineageRecord } from '../store/types.js';
import type { FindingDraft } from './rules.js';

export interface RevokedUseCheck {
  ref: string;
  draft?: FindingDraft;
  /** Why nothing could be checked (no capability, provider error). */
  skipped?: string;
}

/** Day-precision signals cannot order a use and a revocation on the same day: that is "possible". */
function usedAfter(ev: ActivityEvidence, revokedAt: string): 'yes' | 'possible' | 'no' {
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
  const uses: Record<string, unknown>[] = [];
  let certain = false;
  for (const ev of evidence) {
    const version = ev.versionId ? revoked.find((v) => v.versionId === ev.versionId) : revoked[0];
    if (!version) continue;
    const verdict = usedAfter(ev, version.revokedAt);
    if (verdict === 'no') continue;
    certain ||= verdict === 'yes';
    uses.push({
      versionId: version.versionId,
      revokedAt: version.revokedAt,
      lastUsedAt: ev.lastUsedAt,
      signal: ev.signal,
      confidence: ev.confidence,
      verdict,
      ...(ev.detail ? { detail: ev.detail } : {}),
    });
  }
  if (uses.length === 0) return { ref: record.ref };
  const severity: Severity = certain ? 'critical' : 'high';
  const first = uses[0] as { versionId: string; lastUsedAt: string; revokedAt: string; signal: string };
  return {
    ref: record.ref,
    draft: {
      type: 'revoked-still-used',
      severity,
      summary: `${certain ? 'used' : 'possibly used'} after revocation: version ${first.versionId} revoked ${first.revokedAt}, last used ${first.lastUsedAt} (${first.signal})`,
      evidence: { runId: record.runId, requestId: record.requestId, lineageId: record.id, uses },
    },
  };
}
