/**
 * The scan engine: walk every provider's inventory as a stream, compare each identity with
 * its previous snapshot, reconcile findings, and write snapshots + findings in batched
 * transactions. Only counters, histogram buckets and a bounded alert queue stay in memory.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { resolveOwners } from '../approval/owners/owners.js';
import { classifyTier } from '../approval/owners/tiers.js';
import type { FindingType, ParsedConfig } from '../config/schema.js';
import { own } from '../lib/own.js';
import type { CredentialProvider, IdentityRecord } from '../provider.js';
import type { FindingRecord, ScanRecord } from '../store/types.js';
import { AlertQueue } from './alerts.js';
import { BatchWriter, type ScanStore } from './batch.js';
import { findingId, keepReenabledOpen, reconcile, snapshotOf } from './findings.js';
import { prefetch } from './prefetch.js';
import { resolveRevokedUse, resolveUnseen } from './resolve.js';
import { evaluateIdentity } from './rules.js';
import { countIdentity, emptyCounters, type ScanCounters } from './stats.js';

/** The finding types decided per identity (revoked-still-used is decided from lineage). */
export const IDENTITY_FINDING_TYPES: readonly FindingType[] = [
  'dormant',
  'reenabled',
  'orphaned',
  'long-lived',
  'expired-enabled',
];

/** Records read ahead of processing, per provider (ADR 050). */
const PREFETCH = 256;

export interface ScanDeps {
  store: ScanStore;
  providers: readonly CredentialProvider[];
  config: Pick<ParsedConfig, 'scan' | 'tiers' | 'owners'>;
  logger: Logger;
  now: () => Date;
}

export interface ScanOptions {
  signal?: AbortSignal;
  onProgress?: (instance: string, seen: number) => void;
  /** Identities per store transaction. */
  batchSize?: number;
  /** Records fetched ahead of processing, per provider. */
  prefetch?: number;
}

export interface ScanResult {
  scan: ScanRecord;
  counters: ScanCounters;
  alerts: AlertQueue;
  errors: { provider: string; message: string }[];
  /** Lineage records whose activity could not be checked, with why. */
  revokedUseSkipped: { ref: string; reason: string }[];
}

export function breakGlassContacts(owners: ParsedConfig['owners']): string[] {
  const out = new Set<string>();
  for (const n of owners.breakGlass) for (const p of own(owners.teams, n) ?? [n]) out.add(p);
  return [...out].sort();
}

export async function runScan(deps: ScanDeps, opts: ScanOptions = {}): Promise<ScanResult> {
  const now = deps.now();
  const nowIso = now.toISOString();
  const id = `scan_${nowIso.replace(/[-:.]/g, '').slice(0, 15)}_${randomUUID().slice(0, 8)}`;
  const scan: ScanRecord = {
    id,
    startedAt: nowIso,
    status: 'running',
    providers: deps.providers.map((p) => p.instance),
    identities: 0,
    counts: {},
  };
  await deps.store.scans.insertScan(scan);
  const log = deps.logger.child({ scanId: id });
  const counters = emptyCounters();
  const alerts = new AlertQueue();
  const errors: ScanResult['errors'] = [];
  const completed: string[] = [];
  const fallbackContacts = breakGlassContacts(deps.config.owners);
  const aborted = () => opts.signal?.aborted === true;

  const processIdentity = async (rec: IdentityRecord, writer: BatchWriter) => {
    const tier = classifyTier(rec, deps.config.tiers);
    const owners = resolveOwners(rec.owners, deps.config.owners);
    const previous = await deps.store.scans.snapshot(rec.ref);
    const drafts = evaluateIdentity(rec, {
      tier,
      owners,
      previous: previous?.scanId === id ? undefined : previous,
      thresholds: deps.config.scan[tier.tier],
      now,
    });
    // One lookup for every type's finding (on PostgreSQL each call is a round trip).
    const found = new Map(
      (await deps.store.findings.getMany(IDENTITY_FINDING_TYPES.map((t) => findingId(t, rec.ref)))).map(
        (f) => [f.id, f],
      ),
    );
    const existing = new Map<FindingType, FindingRecord | undefined>();
    for (const type of IDENTITY_FINDING_TYPES) existing.set(type, found.get(findingId(type, rec.ref)));
    const r = reconcile(rec.ref, drafts, existing, {
      now: nowIso,
      contacts: owners.principals.length > 0 ? owners.principals : fallbackContacts,
      keepOpen: keepReenabledOpen(rec),
    });
    for (const a of r.alerts) {
      alerts.add(a);
      if (a.kind === 'changed') counters.findingsChanged++;
    }
    counters.findingsOpened += r.opened;
    counters.findingsResolved += r.resolved;
    countIdentity(counters, rec, tier.tier, now);
    const snapshot = {
      ref: rec.ref,
      scanId: id,
      seenAt: nowIso,
      record: snapshotOf(rec, tier.tier, owners.principals),
    };
    await writer.add([snapshot], r.upserts);
  };

  const walk = async (provider: CredentialProvider) => {
    const writer = new BatchWriter(deps.store, opts.batchSize ?? 500);
    let seen = 0;
    try {
      const records = provider.inventory(opts.signal ? { signal: opts.signal } : {});
      for await (const rec of prefetch(records, opts.prefetch ?? PREFETCH, opts.signal)) {
        if (aborted()) break;
        await processIdentity(rec, writer);
        seen++;
        if (seen % 100 === 0) opts.onProgress?.(provider.instance, seen);
      }
      if (!aborted()) completed.push(provider.instance);
    } catch (error) {
      if (!aborted()) {
        const message = error instanceof Error ? error.message : String(error);
        errors.push({ provider: provider.instance, message });
        log.error(
          { provider: provider.instance, err: message },
          'inventory failed; unseen identities of this provider are not resolved',
        );
      }
    } finally {
      await writer.flush();
      opts.onProgress?.(provider.instance, seen);
    }
  };

  await Promise.all(deps.providers.map(walk));

  const revokedUseSkipped: ScanResult['revokedUseSkipped'] = [];
  if (!aborted() && completed.length > 0) {
    const ctx = { store: deps.store, scanId: id, nowIso, batchSize: opts.batchSize ?? 500 };
    counters.findingsResolved += await resolveUnseen(ctx, completed, IDENTITY_FINDING_TYPES);
    const byInstance = new Map(
      deps.providers.filter((p) => completed.includes(p.instance)).map((p) => [p.instance, p]),
    );
    const rv = await resolveRevokedUse(ctx, byInstance, fallbackContacts, log, opts.signal);
    for (const a of rv.alerts) {
      alerts.add(a);
      if (a.kind === 'changed') counters.findingsChanged++;
    }
    counters.findingsOpened += rv.opened;
    counters.findingsResolved += rv.resolved;
    revokedUseSkipped.push(...rv.skipped);
  }

  const status: ScanRecord['status'] = aborted() ? 'interrupted' : errors.length > 0 ? 'failed' : 'completed';
  const patch: Partial<ScanRecord> = {
    status,
    finishedAt: deps.now().toISOString(),
    identities: counters.identities,
    counts: {
      identities: counters.identities,
      opened: counters.findingsOpened,
      changed: counters.findingsChanged,
      resolved: counters.findingsResolved,
    },
    ...(errors.length > 0 ? { error: errors.map((e) => `${e.provider}: ${e.message}`).join('; ') } : {}),
  };
  await deps.store.scans.updateScan(id, patch);
  log.info({ status, identities: counters.identities, opened: counters.findingsOpened }, 'scan finished');
  return { scan: { ...scan, ...patch }, counters, alerts, errors, revokedUseSkipped };
}
