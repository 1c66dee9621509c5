/**
 * A decision on an owner's whole incident share made away from the orchestrator (`nhi incident
 * approve|deny --request-file`, or `ssh-keygen -Y sign` over `--print-payload`), carried back
 * as a file and recorded by `nhi approval import` (src/incident/signed-share.ts checks it
 * against the share the store holds then). Like the single-request decision file, it is a
 * messenger: only its proof counts.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdOf } from '../../audit/keys.js';
import { PolicyError, UsageError } from '../../lib/errors.js';
import type { Decision } from '../../store/types.js';
import { parseIncidentPayload, type SubsetLeaf } from '../signing/incident-proof.js';
import { asProof, type Ed25519Proof, type SshProof, signCanonical } from '../signing/proof.js';
import { parseSshSig, verifySshSig } from '../signing/sshsig.js';
import { precheckDecider, sshSignerKeyId } from './decision-document.js';
import { parseVersionedDocument } from './document-json.js';
import { type IncidentShareDocument, shareLeaves, sharePayloadText } from './incident-document.js';

export const INCIDENT_DECISION_DOCUMENT_KIND = 'nhi-incident-decision';

export interface IncidentDecisionDocument {
  kind: typeof INCIDENT_DECISION_DOCUMENT_KIND;
  version: 1;
  incidentId: string;
  principal: string;
  decision: Decision;
  comment?: string;
  /** The signed subset's leaves, in tree order: they hash to the root the payload names. */
  subset: SubsetLeaf[];
  /** One signature over the share; each request's inclusion path is made on import. */
  proof: Omit<Ed25519Proof, 'inclusion'> | Omit<SshProof, 'inclusion'>;
}

function precheck(
  doc: IncidentShareDocument,
  principal: string,
  decision: Decision,
  now: Date,
  keyId?: string,
) {
  const id = doc.incident.id;
  if (principal !== doc.principal) {
    throw new PolicyError(
      'not-owner',
      `this is ${doc.principal}'s share of incident ${id}, not ${principal}'s: export yours with nhi incident export ${id} --as ${principal}`,
      { context: { incidentId: id, principal, rule: 'not-owner' } },
    );
  }
  precheckDecider(
    {
      subject: `incident ${id}`,
      target: `this share of incident ${id}`,
      requester: doc.incident.requester,
      owners: [{ principal: doc.principal, keyId: doc.keyId }],
      standsUntil: doc.incident.requestExpiresAt,
      expired: `the requests of incident ${id} expired at ${doc.incident.requestExpiresAt}: nothing on this export can be decided`,
      context: { incidentId: id },
    },
    principal,
    decision,
    now,
    keyId,
  );
}

/** The expiry a decision signed now carries: as long as the share's tiers allow (as `nhi incident approve` does). */
export const shareExpiry = (doc: IncidentShareDocument, now: Date): string =>
  new Date(now.getTime() + doc.approvalTtlHours * 3_600_000).toISOString();

/** Sign a decision on the whole share with an nhi or OpenSSH Ed25519 private key. */
export function decideShareOffline(
  doc: IncidentShareDocument,
  input: { principal: string; decision: Decision; privateKey: KeyObject; now: Date; comment?: string },
): IncidentDecisionDocument {
  precheck(doc, input.principal, input.decision, input.now, keyIdOf(createPublicKey(input.privateKey)));
  const proof = signCanonical(
    input.privateKey,
    sharePayloadText(doc, input.decision, shareExpiry(doc, input.now)),
  );
  return decisionDocument(doc, input.decision, proof, input.comment);
}

/** The exact text `ssh-keygen -Y sign -n nhi-approval` must sign for this decision, expiring as shareExpiry. */
export function sharePayloadToSign(
  doc: IncidentShareDocument,
  principal: string,
  decision: Decision,
  now: Date,
): string {
  precheck(doc, principal, decision, now);
  return sharePayloadText(doc, decision, shareExpiry(doc, now));
}

/**
 * A decision from an armored SSHSIG over the `--print-payload` bytes (`signedPayload`): the
 * payload must be this share's for this principal and decision, and the signature must verify
 * over it with the key it names (re-verified against the registered key on import).
 */
export function sshShareDecision(
  doc: IncidentShareDocument,
  input: {
    principal: string;
    decision: Decision;
    signature: string;
    signedPayload: string;
    now: Date;
    comment?: string;
  },
): IncidentDecisionDocument {
  const keyId = sshSignerKeyId(input.signature);
  precheck(doc, input.principal, input.decision, input.now, keyId);
  const payload = parseIncidentPayload(input.signedPayload);
  if (!payload) throw new UsageError('--signed-payload is not the output of --print-payload');
  if (sharePayloadText(doc, input.decision, payload.expiresAt) !== input.signedPayload)
    throw new UsageError(
      `--signed-payload is not a ${input.decision} of this share by ${input.principal} (print it again with --print-payload)`,
    );
  const expires = Date.parse(payload.expiresAt);
  if (!(expires > input.now.getTime() && expires <= input.now.getTime() + doc.approvalTtlHours * 3_600_000))
    throw new PolicyError(
      'approval-expired',
      `the signed payload expires at ${payload.expiresAt}: print and sign it again`,
      {
        context: { incidentId: doc.incident.id, principal: input.principal, rule: 'approval-expired' },
      },
    );
  const checked = verifySshSig(input.signature, input.signedPayload, parseSshSig(input.signature).signer);
  if (!checked.ok) throw new UsageError(`--ssh-signature does not sign --signed-payload: ${checked.reason}`);
  const proof = {
    method: 'ssh' as const,
    keyId,
    signature: input.signature,
    signedPayload: input.signedPayload,
  };
  return decisionDocument(doc, input.decision, proof, input.comment);
}

function decisionDocument(
  doc: IncidentShareDocument,
  decision: Decision,
  proof: IncidentDecisionDocument['proof'],
  comment: string | undefined,
): IncidentDecisionDocument {
  return {
    kind: INCIDENT_DECISION_DOCUMENT_KIND,
    version: 1,
    incidentId: doc.incident.id,
    principal: doc.principal,
    decision,
    ...(comment ? { comment } : {}),
    subset: shareLeaves(doc),
    proof,
  };
}

export function parseIncidentDecisionDocument(text: string, source: string): IncidentDecisionDocument {
  const bad = (why: string): never => {
    throw new UsageError(`${source} is not an nhi incident decision file: ${why}`);
  };
  const d = parseVersionedDocument(text, INCIDENT_DECISION_DOCUMENT_KIND, bad);
  if (typeof d.incidentId !== 'string' || typeof d.principal !== 'string')
    bad('incidentId or principal is missing');
  if (d.decision !== 'approve' && d.decision !== 'deny') bad('decision must be "approve" or "deny"');
  if (d.comment !== undefined && typeof d.comment !== 'string') bad('comment must be a string');
  const subset = d.subset;
  if (
    !Array.isArray(subset) ||
    subset.length === 0 ||
    !subset.every((l) => typeof l?.requestId === 'string' && typeof l.planDigest === 'string')
  )
    bad('subset must list the signed (requestId, planDigest) leaves');
  const proof = asProof(d.proof);
  if (!proof || proof.method === 'webauthn' || proof.inclusion)
    bad('proof must be one ed25519 or ssh signature');
  const { method, keyId, signature, signedPayload } = proof as Ed25519Proof | SshProof;
  return {
    kind: INCIDENT_DECISION_DOCUMENT_KIND,
    version: 1,
    incidentId: d.incidentId as string,
    principal: d.principal as string,
    decision: d.decision as Decision,
    ...(typeof d.comment === 'string' ? { comment: d.comment } : {}),
    subset: (subset as SubsetLeaf[]).map((l) => ({ requestId: l.requestId, planDigest: l.planDigest })),
    proof: { method, keyId, signature, signedPayload },
  };
}

/** The incident decision a decision file holds, when it declares that kind (else undefined: another kind). */
export function incidentDecisionIn(text: string, source: string): IncidentDecisionDocument | undefined {
  let kind: unknown;
  try {
    kind = (JSON.parse(text) as { kind?: unknown } | null)?.kind;
  } catch {
    return undefined;
  }
  return kind === INCIDENT_DECISION_DOCUMENT_KIND ? parseIncidentDecisionDocument(text, source) : undefined;
}
