/** What recording a decision takes and gives, shared by pre-run decisions and retrospective reviews. */
import type { KeyObject } from 'node:crypto';
import type { AuditLog } from '../../audit/log.js';
import type { ParsedConfig } from '../../config/schema.js';
import type { SecretValue } from '../../lib/secret.js';
import type { Notifier, NotifyOutcome } from '../../notify/notifier.js';
import type { Store } from '../../store/store.js';
import type {
  ApprovalRecord,
  Decision,
  RecoveryRequest,
  RequestStatus,
  RetrospectiveReview,
  RunRecord,
} from '../../store/types.js';
import type { OwnerRegistry } from '../owners/owner-registry.js';
import type { ApprovalProof } from '../signing/proof.js';
import type { PolicyConfig } from './quorum.js';
import type { TrustedRequest } from './signed-request.js';

export interface DecisionDeps {
  store: Store;
  audit: AuditLog;
  /** `tiers` and `baseDir` build the policy document every decision is gated on (src/policy). */
  config: PolicyConfig & Pick<ParsedConfig, 'notify' | 'tiers'> & { baseDir?: string; sourcePath?: string };
  notifier: Notifier;
  registry: OwnerRegistry;
  /** The signed policy this decision is made under (set by the policy gate in recordDecision). */
  policyDigest?: string;
}

export type DecisionInput = {
  requestId: string;
  principal: string;
  decision: Decision;
  comment?: string;
  now: Date;
} & (
  | {
      /** The owner's Ed25519 private key (PEM held as a SecretValue, or a KeyObject). Used once, here. */
      privateKey: KeyObject | SecretValue;
      /** The plan digest the owner reviewed (`--digest`); defaults to the request's current digest. */
      planDigest?: string;
    }
  | {
      /** A decision signed elsewhere (later: a web page); its expiry comes from the signed payload. */
      proof: ApprovalProof;
    }
);

export interface DecisionOutcome {
  approval: ApprovalRecord;
  requestStatus: RequestStatus;
  tier: RecoveryRequest['tier'];
  /** Pre-run quorum; for a retrospective review, the break-glass run's (no approvers). */
  quorum: { have: number; need: number; approvers: string[] };
  /** Set when the decision was a retrospective review of a break-glass run. */
  review?: RetrospectiveReview;
  /** Set when this approval completed a quorum on a tier with a hold: the run may start at or after it. */
  holdUntil?: string;
  auditSeq: number;
  notified: NotifyOutcome[];
  /** A notification problem never undoes a recorded decision; it is reported here. */
  notifyError?: string;
}

/** One decision being recorded: what was asked, the signer's key (when signing here), the trusted request. */
export interface DecisionCase {
  input: DecisionInput;
  privateKey: KeyObject | undefined;
  request: TrustedRequest;
}

/** What a decision recorded in its transaction, before anyone is notified. */
export type TxOutcome = Omit<DecisionOutcome, 'notified'> & { request: RecoveryRequest; run?: RunRecord };
