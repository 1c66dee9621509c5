/**
 * Proof of who acted: the requester of `nhi request`, the executor of `nhi run`, whoever runs
 * `nhi resume`. The same Ed25519 proof as an approval (proof.ts), over a payload of a distinct
 * kind, `nhi-actor`: the approval parser accepts only `nhi-approval` and this one only
 * `nhi-actor`, so an actor signature never counts as an approval, nor an approval as an actor.
 */
import type { KeyObject } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical.js';
import { type Ed25519Proof, signCanonical, signedObjectOfKind, verifyEd25519WithKey } from './proof.js';

export type ActorAction = 'request' | 'run' | 'resume';

/** What an actor signs: the action, who, on what target and plan, and when. */
export interface ActorPayload {
  kind: 'nhi-actor';
  action: ActorAction;
  principal: string;
  ref: string;
  planDigest: string;
  /** `request`: the runbook filed (the request id does not exist before it is filed). */
  runbookId?: string;
  /** `run` and `resume`. */
  requestId?: string;
  /** `resume`: the run continued. */
  runId?: string;
  /** `run --break-glass`. */
  breakGlass?: true;
  /** When it was signed (ISO 8601). */
  at: string;
}

/** Everything an actor payload binds except when it was signed: what the engine expects. */
export type ActorClaim = Omit<ActorPayload, 'kind' | 'at'>;

/** A proof from elsewhere must have been signed this recently (and not in the future beyond the skew). */
export const ACTOR_PROOF_MAX_AGE_MS = 15 * 60_000;
const CLOCK_SKEW_MS = 60_000;

const BOUND = [
  'action',
  'principal',
  'ref',
  'planDigest',
  'runbookId',
  'requestId',
  'runId',
  'breakGlass',
] as const;

/** The action's own subject: runbookId for a request, requestId for a run, requestId + runId for a resume. */
const SUBJECTS: Record<ActorAction, readonly (keyof ActorClaim)[]> = {
  request: ['runbookId'],
  run: ['requestId'],
  resume: ['requestId', 'runId'],
};

export function actorPayload(fields: Omit<ActorPayload, 'kind'>): ActorPayload {
  const p: ActorPayload = {
    kind: 'nhi-actor',
    action: fields.action,
    principal: fields.principal,
    ref: fields.ref,
    planDigest: fields.planDigest,
    at: fields.at,
  };
  for (const f of SUBJECTS[fields.action]) if (fields[f] !== undefined) Object.assign(p, { [f]: fields[f] });
  if (fields.action === 'run' && fields.breakGlass === true) p.breakGlass = true;
  return p;
}

export function actorPayloadText(payload: Omit<ActorPayload, 'kind'>): string {
  return canonicalJson(actorPayload(payload));
}

/** Sign an action with the actor's Ed25519 private key. */
export function signActor(privateKey: KeyObject, payload: Omit<ActorPayload, 'kind'>): Ed25519Proof {
  return signCanonical(privateKey, actorPayloadText(payload));
}

/** Parse a signed payload; undefined unless it is a canonical, complete nhi-actor payload. */
export function parseActorPayload(text: string): ActorPayload | undefined {
  const p = signedObjectOfKind(text, 'nhi-actor');
  if (!p) return undefined;
  if (p.action !== 'request' && p.action !== 'run' && p.action !== 'resume') return undefined;
  for (const f of ['principal', 'ref', 'planDigest', 'at', ...SUBJECTS[p.action]]) {
    if (typeof p[f] !== 'string') return undefined;
  }
  if (Number.isNaN(Date.parse(p.at as string))) return undefined;
  const payload = actorPayload(p as unknown as ActorPayload);
  // Extra members or a non-canonical encoding: not something nhi produced.
  return actorPayloadText(payload) === text ? payload : undefined;
}

export type ActorCheck = { ok: true; proof: Ed25519Proof; keyId: string } | { ok: false; reason: string };

/**
 * Check an actor proof against a public key and the claim it must prove. With `now`, the
 * signature must also be recent (a proof signed elsewhere); without, any age (the audit log).
 */
export function verifyActorProofWithKey(
  proof: unknown,
  expected: ActorClaim,
  publicKey: KeyObject,
  now?: Date,
): ActorCheck {
  const checked = verifyEd25519WithKey(proof, publicKey);
  if (!checked.ok) return checked;
  const signed = parseActorPayload(checked.proof.signedPayload);
  if (!signed) return { ok: false, reason: 'the signed payload is not a canonical nhi-actor payload' };
  const want = actorPayload({ ...expected, at: signed.at });
  for (const f of BOUND) {
    if (signed[f] !== want[f]) {
      return {
        ok: false,
        reason: `the signature was made for ${f} ${String(signed[f] ?? '(none)')}, not ${String(want[f] ?? '(none)')}`,
      };
    }
  }
  if (now) {
    const age = now.getTime() - Date.parse(signed.at);
    if (age > ACTOR_PROOF_MAX_AGE_MS || age < -CLOCK_SKEW_MS) {
      return {
        ok: false,
        reason: `signed at ${signed.at}, not within ${ACTOR_PROOF_MAX_AGE_MS / 60_000} min of now (replayed?)`,
      };
    }
  }
  return { ok: true, proof: checked.proof, keyId: checked.keyId };
}
