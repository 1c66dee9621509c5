/**
 * `nhi findings ack`: a person closes an incident finding (revoked-still-used,
 * revoked-possibly-used). No scan ever does: the key being deleted or the evidence ageing out
 * is not an answer to "someone used a revoked credential" (docs/adr/051-finding-severity.md).
 *
 * Signed with the principal's key when policy.requireSignedActors is set (or --key is given),
 * recorded as `finding.acknowledged` with the proof in the transaction that writes the row, so
 * `nhi audit verify` can cross-check the row (src/audit/cross-check/acks.ts). Refusals are
 * audited as `finding.ack.refused`.
 */

import type { KeyObject } from 'node:crypto';
import { actorProofData } from '../approval/decisions/actor.js';
import { toPrivateKey } from '../approval/decisions/decision-checks.js';
import { recordRefusal } from '../approval/decisions/refusal.js';
import type { OwnerRegistry } from '../approval/owners/owner-registry.js';
import type { AuditLog } from '../audit/log.js';
import type { ParsedConfig } from '../config/schema.js';
import { NotFoundError, PolicyError } from '../lib/errors.js';
import type { SecretValue } from '../lib/secret.js';
import type { Store } from '../store/store.js';
import type { ActorProof, FindingAck, FindingRecord } from '../store/types.js';
import { type AckClaim, signAck, verifyAckProofWithKey } from './ack-proof.js';
import { latestUse } from './findings.js';
import { REVOKED_USE_TYPES } from './revoked-use.js';

export interface AckDeps {
  config: Pick<ParsedConfig, 'policy'>;
  registry: OwnerRegistry;
  store: Store;
  audit: AuditLog;
  now: () => Date;
}

export interface AckInput {
  findingId: string;
  principal: string;
  reason: string;
  /** The principal's private key (`--key`); required when policy.requireSignedActors is set. */
  privateKey?: KeyObject | SecretValue;
}

export const ACK_REFUSED = 'finding.ack.refused';

export async function acknowledgeFinding(deps: AckDeps, input: AckInput): Promise<FindingRecord> {
  const now = deps.now();
  const finding = await deps.store.findings.get(input.findingId);
  if (!finding) throw new NotFoundError(`no finding ${input.findingId} (see nhi findings)`);
  const claim: AckClaim = {
    principal: input.principal,
    findingId: finding.id,
    ref: finding.ref,
    type: finding.type,
    reason: input.reason,
  };
  const refuse = async (rule: string, message: string): Promise<never> => {
    const error = new PolicyError(rule, message, { context: { principal: input.principal, rule } });
    await recordRefusal(
      deps,
      error,
      {
        type: ACK_REFUSED,
        actor: input.principal,
        subject: finding.id,
        data: { findingId: finding.id, ref: finding.ref, signed: input.privateKey !== undefined },
      },
      now,
    );
    throw error;
  };
  if (!REVOKED_USE_TYPES.includes(finding.type as (typeof REVOKED_USE_TYPES)[number])) {
    return refuse(
      'not-acknowledgeable',
      `${finding.type} findings resolve when their condition clears; only ${REVOKED_USE_TYPES.join(' and ')} findings are acknowledged`,
    );
  }
  if (finding.status !== 'open')
    return refuse('finding-not-open', `finding ${finding.id} is ${finding.status}`);
  const proof = await authenticate(deps, claim, input.privateKey, now, refuse);

  const at = now.toISOString();
  const lastUseAt = latestUse(finding.evidence);
  const ack: FindingAck = {
    by: input.principal,
    at,
    reason: input.reason,
    ...(lastUseAt ? { lastUseAt } : {}),
    ...actorProofData(proof),
  };
  return deps.store.transaction(async (tx) => {
    // Re-read inside the transaction: a scan may have changed it since.
    const current = await tx.findings.get(finding.id);
    if (current?.status !== 'open')
      throw new PolicyError('finding-not-open', `finding ${finding.id} changed meanwhile`);
    const next: FindingRecord = { ...current, status: 'acknowledged', acks: [...(current.acks ?? []), ack] };
    await tx.findings.upsert(next);
    await deps.audit.record(tx.audit, {
      type: 'finding.acknowledged',
      actor: input.principal,
      subject: finding.id,
      data: ackEntryData(next, ack),
    });
    return next;
  });
}

/** The audit data of an ack: what the cross-check compares with the row (acks.ts). */
export function ackEntryData(
  f: Pick<FindingRecord, 'id' | 'ref' | 'type'>,
  ack: FindingAck,
): Record<string, unknown> {
  return { findingId: f.id, ref: f.ref, type: f.type, ...ack };
}

async function authenticate(
  deps: AckDeps,
  claim: AckClaim,
  privateKey: KeyObject | SecretValue | undefined,
  now: Date,
  refuse: (rule: string, message: string) => Promise<never>,
): Promise<ActorProof | undefined> {
  const { principal } = claim;
  if (!privateKey) {
    if (!deps.config.policy.requireSignedActors) return undefined;
    return refuse(
      'unsigned-actor',
      `policy.requireSignedActors is set: ${principal} must sign the acknowledgment (nhi findings ack ... --as ${principal} --key <private key file>)`,
    );
  }
  const registered = deps.registry.principal(principal);
  if (!registered)
    return refuse('bad-actor-signature', `"${principal}" is not a registered principal (owners.principals)`);
  const proof = signAck(toPrivateKey(privateKey), { ...claim, at: now.toISOString() });
  const check = verifyAckProofWithKey(proof, claim, registered.publicKey);
  if (!check.ok)
    return refuse(
      'bad-actor-signature',
      `the acknowledgment by ${principal} does not verify: ${check.reason}`,
    );
  return { ...check.proof, publicKey: registered.publicKeyPem };
}
