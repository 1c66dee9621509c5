/**
 * The policy gate, called before every decision (request, approve/deny, run, resume): the
 * current policy document must be the adopted one, or be signed by a quorum of distinct keys
 * of the control owners pinned in the audit log. The first signed document seen is adopted
 * (`policy.adopted`, naming its signers) and, the first time or when the control owners
 * change, their keys are pinned (`policy.pinned`). Anything else is a ConfigError (exit 2)
 * naming what changed and how to sign it.
 */
import type { AuditLog } from '../audit/log.js';
import { ConfigError } from '../lib/errors.js';
import type { Store } from '../store/store.js';
import { diffPolicy, formatChanges } from './diff.js';
import {
  type ControlOwners,
  type PolicyDocument,
  type PolicySource,
  policyDigestOf,
  policyDocument,
  sameControlOwners,
} from './document.js';
import { countSignatures, readSignatures, signaturesPath } from './signatures.js';
import { POLICY_ADOPTED, POLICY_PINNED, type PolicyState, readPolicyState } from './state.js';

export interface PolicyGateDeps {
  store: Store;
  audit: AuditLog;
  config: PolicySource;
}

/** Where the policy stands: the current document against the log and the signatures file. */
export interface PolicyStatus {
  digest: string;
  document: PolicyDocument;
  state: PolicyState;
  /** The control owners whose signatures count: pinned ones, or the document's own before any pin. */
  controlOwners: ControlOwners;
  previousDigest: string | null;
  adopted: boolean;
  count: ReturnType<typeof countSignatures>;
  signaturesFile: string;
}

export async function policyStatus(deps: PolicyGateDeps): Promise<PolicyStatus> {
  const document = policyDocument(deps.config);
  const digest = policyDigestOf(document);
  const state = await readPolicyState(deps.store.audit, deps.audit.publicKey);
  return statusOf(deps.config, document, digest, state);
}

function statusOf(
  config: PolicySource,
  document: PolicyDocument,
  digest: string,
  state: PolicyState,
): PolicyStatus {
  // Before anything is pinned, the config's control owners are trusted once (trust on first use).
  const controlOwners = state.pinned?.controlOwners ?? document.policy.controlOwners;
  const previousDigest = state.adopted?.digest ?? null;
  const signaturesFile = signaturesPath(config);
  const adopted = state.adopted?.digest === digest;
  const count = adopted
    ? {
        signers: state.adopted?.signers ?? [],
        signatures: [],
        need: controlOwners.quorum,
        met: true,
        ignored: [],
      }
    : countSignatures(
        readSignatures(signaturesFile),
        { policyDigest: digest, previousDigest },
        controlOwners,
      );
  return { digest, document, state, controlOwners, previousDigest, adopted, count, signaturesFile };
}

/** The digest decisions are made under; adopts a newly signed policy, refuses an unsigned one. */
export async function requireSignedPolicy(deps: PolicyGateDeps): Promise<string> {
  const first = await policyStatus(deps);
  if (first.adopted) return first.digest;
  if (!first.count.met) throw unsignedPolicyError(first);
  await deps.store.transaction(async (tx) => {
    // Decided again under the transaction: another process may have adopted it meanwhile.
    const status = statusOf(
      deps.config,
      first.document,
      first.digest,
      await readPolicyState(tx.audit, deps.audit.publicKey),
    );
    if (status.adopted) return;
    if (!status.count.met) throw unsignedPolicyError(status);
    if (!status.state.pinned) await pin(deps.audit, tx.audit, status.controlOwners, status.digest);
    await deps.audit.record(tx.audit, {
      type: POLICY_ADOPTED,
      actor: status.count.signers.join(','),
      subject: status.digest,
      data: {
        policyDigest: status.digest,
        previousDigest: status.previousDigest,
        signers: status.count.signers,
        signatures: status.count.signatures.map((s) => ({
          ...s,
          publicKey: status.controlOwners.principals[s.principal]?.publicKey,
        })),
        document: status.document,
      },
    });
    // Signed by the old control owners, a new set of them is pinned from here on.
    const next = status.document.policy.controlOwners;
    if (!sameControlOwners(next, status.controlOwners)) await pin(deps.audit, tx.audit, next, status.digest);
  });
  return first.digest;
}

async function pin(
  audit: AuditLog,
  area: Parameters<AuditLog['record']>[0],
  controlOwners: ControlOwners,
  digest: string,
): Promise<void> {
  await audit.record(area, {
    type: POLICY_PINNED,
    actor: 'nhi',
    subject: digest,
    data: { policyDigest: digest, controlOwners },
  });
}

/** `policyDigest` for a decision's audit entry, when the caller went through the gate. */
export function policyDigestField(deps: { policyDigest?: string }): { policyDigest?: string } {
  return deps.policyDigest ? { policyDigest: deps.policyDigest } : {};
}

function unsignedPolicyError(s: PolicyStatus): ConfigError {
  const base = s.state.adopted?.document;
  const changes = base ? formatChanges(diffPolicy(base, s.document)) : [];
  const owners = Object.keys(s.controlOwners.principals);
  const have = s.count.signers.length;
  const lines = [
    `the policy ${s.digest} is not signed by the control owners (${have} of ${s.controlOwners.quorum} signature(s) by ${owners.join(', ')}); decisions are refused until it is`,
    base
      ? `  changed since the adopted policy ${base ? s.previousDigest : ''} (audit seq ${s.state.adopted?.seq}):`
      : '  no policy has been adopted yet: the control owners sign the first one',
    ...changes.map((c) => `    ${c}`),
    ...(base && changes.length === 0 ? ['    (no readable difference)'] : []),
    ...s.count.ignored.map((i) => `  ignored signature by ${i.principal}: ${i.reason}`),
    `  fix: review the change, then nhi policy sign --as <${owners.join('|')}> --key <key file> (signatures go to ${s.signaturesFile}); nhi policy show lists what changed`,
  ];
  return new ConfigError(lines.join('\n'), [], {
    context: { policyDigest: s.digest, changes, controlOwners: owners },
  });
}
