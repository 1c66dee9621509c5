import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdOf } from '../../audit/keys.js';
import type { EntryChecker } from '../../audit/verify.js';
import type { ParsedConfig } from '../../config/schema.js';
import { policyClaimCheckers } from '../../policy/audit-claims.js';
import { ackEntryChecker } from '../../scan/ack-proof.js';
import type { AuditEntry, DecisionPurpose } from '../../store/types.js';
import { createOwnerRegistry, type OwnerRegistry } from '../owners/owner-registry.js';
import { type ActorClaim, verifyActorProofWithKey } from './actor-proof.js';
import { approvalPayload, REVIEW_PURPOSE, verifyProofWithKey } from './proof.js';
import { isSshPublicKeyLine, parseSshPublicKeyLine, type SshPublicKey } from './ssh-key.js';

/**
 * Audit entry types whose claims `nhi audit verify` re-checks offline, by type.
 * `approval.recorded` (and `review.recorded`, a retrospective review of a break-glass run)
 * carries its own proof and the signer's public key, so it can be re-verified from the
 * entry alone, years later; while the principal is still registered, the key must also be
 * the registered one (an entry cannot bring its own key). The purpose comes from the entry
 * type, not its data: a review's signature never verifies as an approval, nor the reverse.
 * `request.created`, `run.started`, `run.break-glass` and `run.resumed` carry the actor's
 * signature (`actorProof`, with its public key) when the actor signed: it must prove the
 * entry's actor, action, ref, plan digest and subject. Unsigned ones make no claim.
 * `baseDir` resolves `file:` public keys; the app passes its loaded Config.
 */
export function auditClaimCheckers(
  config: ParsedConfig & { baseDir?: string },
): Record<string, EntryChecker> {
  const registry = createOwnerRegistry(config.owners, config.baseDir ?? process.cwd());
  return {
    'approval.recorded': approvalRecordedChecker(registry),
    'review.recorded': reviewRecordedChecker(registry),
    'request.created': (entry) => checkActorEntry(entry, registry),
    'run.started': (entry) => checkActorEntry(entry, registry),
    'run.break-glass': (entry) => checkActorEntry(entry, registry),
    'run.resumed': (entry) => checkActorEntry(entry, registry),
    'finding.acknowledged': ackEntryChecker(registry),
    // policy.pinned / policy.adopted: adoptions signed by the control owners pinned at that point.
    ...policyClaimCheckers(),
  };
}

export function approvalRecordedChecker(registry: OwnerRegistry): EntryChecker {
  return (entry) => checkApprovalEntry(entry, registry);
}

export function reviewRecordedChecker(registry: OwnerRegistry): EntryChecker {
  return (entry) => checkApprovalEntry(entry, registry, REVIEW_PURPOSE);
}

function str(data: Record<string, unknown>, key: string): string | undefined {
  const v = data[key];
  return typeof v === 'string' ? v : undefined;
}

export function checkApprovalEntry(
  entry: AuditEntry,
  registry: OwnerRegistry,
  purpose?: DecisionPurpose,
): string | undefined {
  const d = entry.data;
  const requestId = str(d, 'requestId');
  const principal = str(d, 'principal');
  const planDigest = str(d, 'planDigest');
  const expiresAt = str(d, 'expiresAt');
  const decision = d.decision;
  const pem = str(d, 'publicKey');
  if (
    !requestId ||
    !principal ||
    !planDigest ||
    !expiresAt ||
    !pem ||
    (decision !== 'approve' && decision !== 'deny')
  ) {
    return 'approval entry is missing requestId, principal, decision, planDigest, expiresAt or publicKey';
  }
  if (entry.subject !== requestId || entry.actor !== principal) {
    return `approval entry subject/actor (${entry.subject}/${entry.actor}) do not match its data (${requestId}/${principal})`;
  }
  const key = recordedKey(pem, principal, registry);
  if (typeof key === 'string') return `approval by ${principal}: ${key}`;
  if (purpose !== undefined && d.purpose !== purpose) {
    return `review entry by ${principal} on ${requestId} does not name purpose ${purpose}`;
  }
  const expected = approvalPayload({
    requestId,
    planDigest,
    decision,
    expiresAt,
    principal,
    ...(purpose ? { purpose } : {}),
    // Entries written before decisions bound the request's fields carry none of these.
    ...optionalString(d, 'requester'),
    ...optionalString(d, 'reason'),
    ...optionalString(d, 'requestExpiresAt'),
  });
  const check = verifyProofWithKey(d.proof, expected, key.publicKey, key.ssh);
  if (!check.ok) return `approval by ${principal} on ${requestId}: ${check.reason}`;
  return undefined;
}

function optionalString(data: Record<string, unknown>, key: string): Record<string, string> {
  const v = str(data, key);
  return v === undefined ? {} : { [key]: v };
}

/**
 * The public key recorded in an entry (SPKI PEM, or the OpenSSH line of an SSH-registered
 * principal); while its principal is registered, it must be the registered one.
 */
function recordedKey(
  text: string,
  principal: string,
  registry: OwnerRegistry,
): { publicKey: KeyObject; ssh?: SshPublicKey } | string {
  let key: KeyObject;
  let ssh: SshPublicKey | undefined;
  try {
    if (isSshPublicKeyLine(text)) {
      ssh = parseSshPublicKeyLine(text);
      key = ssh.publicKey;
    } else {
      key = createPublicKey(text);
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
    }
  } catch {
    return 'the recorded public key is not an Ed25519 public key';
  }
  const registered = registry.principal(principal);
  if (registered && registered.keyId !== keyIdOf(key)) {
    return `recorded key ${keyIdOf(key)} is not ${principal}'s registered key ${registered.keyId}`;
  }
  return ssh ? { publicKey: key, ssh } : { publicKey: key };
}

/** What an actor-signed entry claims, from its type, actor, subject and data. */
function actorClaimOf(entry: AuditEntry): ActorClaim | string {
  const d = entry.data;
  const ref = str(d, 'ref');
  const planDigest = str(d, 'planDigest');
  const base = { principal: entry.actor, ref: ref ?? '', planDigest: planDigest ?? '' };
  if (entry.type === 'request.created') {
    const runbookId = str(d, 'runbook');
    if (!ref || !planDigest || !runbookId)
      return 'signed request entry is missing ref, runbook or planDigest';
    return { ...base, action: 'request', runbookId };
  }
  const requestId = str(d, 'requestId');
  if (!ref || !planDigest || !requestId)
    return `signed ${entry.type} entry is missing ref, requestId or planDigest`;
  if (entry.type === 'run.resumed') return { ...base, action: 'resume', requestId, runId: entry.subject };
  return {
    ...base,
    action: 'run',
    requestId,
    ...(entry.type === 'run.break-glass' ? { breakGlass: true } : {}),
  };
}

/** null when the entry carries no actor signature (the actor only named themselves). */
export function checkActorEntry(entry: AuditEntry, registry: OwnerRegistry): string | undefined | null {
  const proof = entry.data.actorProof;
  if (proof === undefined) return null;
  const who = `${entry.type} by ${entry.actor}`;
  const pem =
    proof !== null && typeof proof === 'object'
      ? str(proof as Record<string, unknown>, 'publicKey')
      : undefined;
  if (!pem) return `${who}: the actor proof has no public key`;
  const key = recordedKey(pem, entry.actor, registry);
  if (typeof key === 'string') return `${who}: ${key}`;
  const claim = actorClaimOf(entry);
  if (typeof claim === 'string') return claim;
  const check = verifyActorProofWithKey(proof, claim, key.publicKey);
  return check.ok ? undefined : `${who} on ${entry.subject}: ${check.reason}`;
}
