/**
 * Who is acting, proven: the engine's check that the principal named by `--as` on
 * `nhi request`, `run` and `resume` holds that principal's registered key. Signed here with
 * the actor's key (the CLI's `--key`) or accepted as a proof signed elsewhere, then verified
 * against the owner registry. Required when `policy.requireSignedActors` is set; verified
 * whenever given. Refusals are PolicyErrors: `unsigned-actor`, `bad-actor-signature`.
 */
import type { KeyObject } from 'node:crypto';
import type { AuditLog } from '../../audit/log.js';
import type { ParsedConfig } from '../../config/schema.js';
import { PolicyError } from '../../lib/errors.js';
import type { SecretValue } from '../../lib/secret.js';
import type { Store } from '../../store/store.js';
import type { ActorProof } from '../../store/types.js';
import type { OwnerRegistry } from '../owners/owner-registry.js';
import { type ActorClaim, signActor, verifyActorProofWithKey } from '../signing/actor-proof.js';
import { toPrivateKey } from './decision-checks.js';
import { recordRefusal } from './refusal.js';

/** How an actor proves who they are: their private key (used once, here), or a proof signed elsewhere. */
export type ActorCredential = { privateKey: KeyObject | SecretValue } | { proof: unknown };

export interface ActorDeps {
  config: Pick<ParsedConfig, 'policy'>;
  registry: OwnerRegistry;
}

const ACTION_FLAG = { request: 'nhi request', run: 'nhi run', resume: 'nhi resume' } as const;

/**
 * The actor's verified proof (to store with the record and its audit entry), or undefined when
 * nobody signed and the policy does not require it. Throws a PolicyError otherwise.
 */
export function authenticateActor(
  deps: ActorDeps,
  claim: ActorClaim,
  credential: ActorCredential | undefined,
  now: Date,
): ActorProof | undefined {
  const { principal, action } = claim;
  const refuse = (rule: string, message: string): never => {
    throw new PolicyError(rule, message, { context: { principal, action, rule } });
  };
  if (!credential) {
    if (!deps.config.policy.requireSignedActors) return undefined;
    return refuse(
      'unsigned-actor',
      `policy.requireSignedActors is set: ${principal} must sign the ${action} (${ACTION_FLAG[action]} ... --as ${principal} --key <private key file>)`,
    );
  }
  const bad = (reason: string) =>
    refuse('bad-actor-signature', `the ${action} by ${principal} does not verify: ${reason}`);
  const registered = deps.registry.principal(principal);
  if (!registered) return bad(`"${principal}" is not a registered principal (owners.principals)`);
  const signedHere = 'privateKey' in credential;
  const proof = signedHere
    ? signActor(toPrivateKey(credential.privateKey), { ...claim, at: now.toISOString() })
    : credential.proof;
  // A proof signed here is fresh by construction; one from elsewhere must be recent.
  const check = verifyActorProofWithKey(proof, claim, registered.publicKey, signedHere ? undefined : now);
  if (!check.ok) return bad(check.reason);
  return { ...check.proof, publicKey: registered.publicKeyPem };
}

/**
 * authenticateActor, recording a refusal in the audit log (`<action>.refused` names the rule):
 * an attempt to act as someone else, or without the signature the policy requires, is evidence.
 */
export async function authenticateActorAudited(
  deps: ActorDeps & { store: Store; audit: AuditLog },
  claim: ActorClaim,
  credential: ActorCredential | undefined,
  now: Date,
  refusal: { type: string; data?: Record<string, unknown> },
): Promise<ActorProof | undefined> {
  try {
    return authenticateActor(deps, claim, credential, now);
  } catch (error) {
    if (error instanceof PolicyError) {
      await recordRefusal(
        deps,
        error,
        {
          type: refusal.type,
          actor: claim.principal,
          ...(claim.requestId ? { requestId: claim.requestId } : { subject: claim.ref }),
          data: { ...refusal.data, action: claim.action, signed: credential !== undefined },
        },
        now,
      );
    }
    throw error;
  }
}

/** The audit-data form: the proof as it is stored, under one key. */
export function actorProofData(proof: ActorProof | undefined): { actorProof?: ActorProof } {
  return proof ? { actorProof: { ...proof } } : {};
}
