/**
 * Passkey lifecycle, audited: registered on the approval page (pending), activated by a
 * signature with the principal's registered key (`nhi passkey confirm`), revoked. Only a
 * confirmed passkey can approve: the confirmation travels in every webauthn proof.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdOf } from '../../audit/keys.js';
import type { AuditLog } from '../../audit/log.js';
import { PolicyError } from '../../lib/errors.js';
import type { PasskeyRecord } from '../../store/passkey-types.js';
import type { Store } from '../../store/store.js';
import type { OwnerRegistry } from '../owners/owner-registry.js';
import { signCanonical } from '../signing/proof.js';
import { passkeyConfirmText, verifyPasskeyConfirmation } from '../signing/webauthn.js';

export interface PasskeyDeps {
  store: Store;
  audit: AuditLog;
  registry: OwnerRegistry;
}

const refuse = (rule: string, message: string): never => {
  throw new PolicyError(rule, message, { context: { rule } });
};

/** A browser registered a credential: stored pending, audited; it approves nothing yet. */
export async function registerPendingPasskey(deps: PasskeyDeps, passkey: PasskeyRecord): Promise<void> {
  if (!deps.registry.principal(passkey.principal)) {
    refuse('unknown-principal', `"${passkey.principal}" is not a registered principal`);
  }
  await deps.store.transaction(async (tx) => {
    await tx.passkeys.insert({ ...passkey, status: 'pending' });
    await deps.audit.record(tx.audit, {
      type: 'passkey.registered',
      actor: passkey.principal,
      subject: passkey.credentialId,
      data: {
        principal: passkey.principal,
        credentialId: passkey.credentialId,
        rpId: passkey.rpId,
        publicKey: passkey.publicKey,
        status: 'pending',
      },
    });
  });
}

/** `nhi passkey confirm`: the principal's own key signs that this credential key is theirs. */
export async function confirmPasskey(
  deps: PasskeyDeps,
  input: { principal: string; credentialId: string; privateKey: KeyObject; now: Date },
): Promise<PasskeyRecord> {
  const registered = deps.registry.principal(input.principal);
  if (!registered) return refuse('unknown-principal', `"${input.principal}" is not a registered principal`);
  const signer = keyIdOf(createPublicKey(input.privateKey));
  if (signer !== registered.keyId) {
    refuse('wrong-key', `--key is ${signer}, not ${input.principal}'s registered key ${registered.keyId}`);
  }
  return deps.store.transaction(async (tx) => {
    const passkey = await tx.passkeys.get(input.credentialId);
    if (!passkey || passkey.principal !== input.principal) {
      return refuse('unknown-passkey', `${input.principal} has no passkey ${input.credentialId}`);
    }
    if (passkey.status !== 'pending') {
      refuse(
        'not-pending',
        `passkey ${input.credentialId} is ${passkey.status}; only a pending passkey can be confirmed`,
      );
    }
    const fields = {
      principal: passkey.principal,
      credentialId: passkey.credentialId,
      publicKey: passkey.publicKey,
      rpId: passkey.rpId,
    };
    const signed = signCanonical(input.privateKey, passkeyConfirmText(fields));
    const confirmation = {
      method: signed.method,
      keyId: signed.keyId,
      signature: signed.signature,
      signedPayload: signed.signedPayload,
    };
    const check = verifyPasskeyConfirmation(confirmation, fields, registered.publicKey, registered.ssh);
    if (!check.ok) refuse('bad-signature', check.reason);
    const patch = { status: 'active' as const, confirmedAt: input.now.toISOString(), confirmation };
    await tx.passkeys.update(passkey.credentialId, patch);
    await deps.audit.record(tx.audit, {
      type: 'passkey.confirmed',
      actor: passkey.principal,
      subject: passkey.credentialId,
      data: { ...fields, confirmation, registeredKey: registered.recordedKey },
    });
    return { ...passkey, ...patch };
  });
}

/** `nhi passkey revoke`: the passkey no longer decides on the approval page. */
export async function revokePasskey(
  deps: PasskeyDeps,
  input: { credentialId: string; by: string; reason: string; now: Date },
): Promise<PasskeyRecord> {
  return deps.store.transaction(async (tx) => {
    const passkey = await tx.passkeys.get(input.credentialId);
    if (!passkey) return refuse('unknown-passkey', `no passkey ${input.credentialId}`);
    if (passkey.status === 'revoked')
      return refuse('already-revoked', `passkey ${input.credentialId} is already revoked`);
    const patch = { status: 'revoked' as const, revokedAt: input.now.toISOString(), revokedBy: input.by };
    await tx.passkeys.update(passkey.credentialId, patch);
    await deps.audit.record(tx.audit, {
      type: 'passkey.revoked',
      actor: input.by,
      subject: passkey.credentialId,
      data: { principal: passkey.principal, credentialId: passkey.credentialId, reason: input.reason },
    });
    return { ...passkey, ...patch };
  });
}
