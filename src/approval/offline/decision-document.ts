/**
 * A decision made away from the orchestrator (`nhi approve --request-file`, or an
 * `ssh-keygen -Y sign` signature), carried back as a file and recorded by
 * `nhi approval import`. The file is a messenger: only its proof counts, and the import
 * verifies that proof against the stored request exactly as an online approval is verified.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdOf } from '../../audit/keys.js';
import { PolicyError, UsageError } from '../../lib/errors.js';
import type { Decision } from '../../store/types.js';
import { type ApprovalProof, asProof, payloadText, signDecision } from '../signing/proof.js';
import { parseSshSig } from '../signing/sshsig.js';
import { parseVersionedDocument } from './document-json.js';
import { documentPayload, type RequestDocument } from './request-document.js';

export const DECISION_DOCUMENT_KIND = 'nhi-decision';

export interface DecisionDocument {
  kind: typeof DECISION_DOCUMENT_KIND;
  version: 1;
  requestId: string;
  principal: string;
  decision: Decision;
  comment?: string;
  proof: ApprovalProof;
}

/** What an offline document says about who may decide it, for precheckDecider. */
export interface DecidableExport {
  /** "request req_…" or "incident inc_…", for messages. */
  subject: string;
  /** The target (a ref, or an owner's share), for the not-owner message. */
  target: string;
  requester: string;
  owners: { principal: string; keyId: string }[];
  /** Nothing on this export can be decided from then on, and what to say when that has passed. */
  standsUntil: string;
  expired: string;
  context: Record<string, unknown>;
}

/**
 * The checks an owner's machine can make from the document alone, so an owner learns at once
 * that they cannot decide — the orchestrator makes them again, with the registry it trusts.
 */
export function precheckDecider(
  doc: DecidableExport,
  principal: string,
  decision: Decision,
  now: Date,
  keyId?: string,
): void {
  const refuse = (rule: string, message: string): never => {
    throw new PolicyError(rule, message, { context: { ...doc.context, principal, rule } });
  };
  if (principal === doc.requester) {
    refuse(
      'self-approval',
      `${principal} filed ${doc.subject} and cannot ${decision} it (separation of duties)`,
    );
  }
  const owner = doc.owners.find((o) => o.principal === principal);
  if (!owner) {
    refuse(
      'not-owner',
      `${principal} is not an owner of ${doc.target} (owners: ${doc.owners.map((o) => o.principal).join(', ') || 'none registered'})`,
    );
  }
  if (keyId !== undefined && owner && owner.keyId !== keyId) {
    refuse('bad-signature', `the key is ${keyId}, but ${principal} is registered with ${owner.keyId}`);
  }
  if (!(Date.parse(doc.standsUntil) > now.getTime())) refuse('approval-expired', doc.expired);
}

function precheck(
  doc: RequestDocument,
  principal: string,
  decision: Decision,
  now: Date,
  keyId?: string,
): void {
  precheckDecider(
    {
      subject: `request ${doc.request.id}`,
      target: doc.plan.ref,
      requester: doc.request.requester,
      owners: doc.owners,
      standsUntil: doc.decisionExpiresAt,
      expired: `decisions on this export stand until ${doc.decisionExpiresAt}, which has passed: export the request again`,
      context: { requestId: doc.request.id },
    },
    principal,
    decision,
    now,
    keyId,
  );
}

/** The key id of the signer of an armored SSHSIG (`--ssh-signature`), or a UsageError. */
export function sshSignerKeyId(signature: string): string {
  try {
    return keyIdOf(parseSshSig(signature).signer.publicKey);
  } catch (error) {
    throw new UsageError(`--ssh-signature: ${(error as Error).message}`);
  }
}

/** Sign a decision on the document with an nhi or OpenSSH Ed25519 private key. */
export function decideOffline(
  doc: RequestDocument,
  input: { principal: string; decision: Decision; privateKey: KeyObject; now: Date; comment?: string },
): DecisionDocument {
  precheck(doc, input.principal, input.decision, input.now, keyIdOf(createPublicKey(input.privateKey)));
  const proof = signDecision(input.privateKey, documentPayload(doc, input.principal, input.decision));
  return decisionDocument(doc, input.principal, input.decision, proof, input.comment);
}

/** The exact text `ssh-keygen -Y sign -n nhi-approval` must sign for this decision. */
export function payloadToSign(
  doc: RequestDocument,
  principal: string,
  decision: Decision,
  now: Date,
): string {
  precheck(doc, principal, decision, now);
  return payloadText(documentPayload(doc, principal, decision));
}

/** A decision from an armored SSHSIG over `payloadToSign(...)`. Verified for real on import. */
export function sshDecision(
  doc: RequestDocument,
  input: { principal: string; decision: Decision; signature: string; now: Date; comment?: string },
): DecisionDocument {
  const keyId = sshSignerKeyId(input.signature);
  precheck(doc, input.principal, input.decision, input.now, keyId);
  const proof: ApprovalProof = {
    method: 'ssh',
    keyId,
    signature: input.signature,
    signedPayload: payloadText(documentPayload(doc, input.principal, input.decision)),
  };
  return decisionDocument(doc, input.principal, input.decision, proof, input.comment);
}

function decisionDocument(
  doc: RequestDocument,
  principal: string,
  decision: Decision,
  proof: ApprovalProof,
  comment: string | undefined,
): DecisionDocument {
  return {
    kind: DECISION_DOCUMENT_KIND,
    version: 1,
    requestId: doc.request.id,
    principal,
    decision,
    ...(comment ? { comment } : {}),
    proof,
  };
}

export function parseDecisionDocument(text: string, source: string): DecisionDocument {
  const bad = (why: string): never => {
    throw new UsageError(`${source} is not an nhi decision file: ${why}`);
  };
  const d = parseVersionedDocument(text, DECISION_DOCUMENT_KIND, bad);
  if (typeof d.requestId !== 'string' || typeof d.principal !== 'string')
    bad('requestId or principal is missing');
  if (d.decision !== 'approve' && d.decision !== 'deny') bad('decision must be "approve" or "deny"');
  if (d.comment !== undefined && typeof d.comment !== 'string') bad('comment must be a string');
  const proof = asProof(d.proof);
  if (!proof) return bad('proof is missing or of an unknown method');
  return {
    kind: DECISION_DOCUMENT_KIND,
    version: 1,
    requestId: d.requestId as string,
    principal: d.principal as string,
    decision: d.decision as Decision,
    ...(typeof d.comment === 'string' ? { comment: d.comment } : {}),
    proof,
  };
}
