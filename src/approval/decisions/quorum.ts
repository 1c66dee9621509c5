/**
 * Which approvals of a request count. Pure. Used when an approval is recorded (to move the
 * request to "approved") and again at run time (authorize.ts), where nothing stored is
 * trusted: every proof is re-verified against the registry, so a row written into the
 * database by hand, or one whose plan has since changed, does not count.
 */
import type { ParsedConfig, TierPolicy } from '../../config/schema.js';
import type { ApprovalRecord, RecoveryRequest } from '../../store/types.js';
import type { OwnerRegistry } from '../owners/owner-registry.js';
import { approvalPayload, REVIEW_PURPOSE, requestFields, verifyProof } from '../signing/proof.js';
import { signedTierPolicy, type TrustedRequest } from './signed-request.js';

export type IgnoredRule =
  | 'bad-signature'
  | 'digest-mismatch'
  | 'approval-expired'
  | 'self-approval'
  | 'not-owner'
  | 'same-key'
  | 'unknown-principal';

/** When nothing counts, the refusal names the most serious reason found. */
export const IGNORED_RULE_PRIORITY: readonly IgnoredRule[] = [
  'bad-signature',
  'digest-mismatch',
  'approval-expired',
  'self-approval',
  'not-owner',
  'same-key',
  'unknown-principal',
];

export interface IgnoredDecision {
  approvalId: string;
  principal: string;
  decision: ApprovalRecord['decision'];
  rule: IgnoredRule;
  reason: string;
}

export interface QuorumState {
  policy: TierPolicy;
  need: number;
  /** One approval per distinct principal (the one that stands longest), sorted by principal. */
  counted: ApprovalRecord[];
  approvers: string[];
  /** Verified deny decisions: any one ends the request. */
  denies: ApprovalRecord[];
  ignored: IgnoredDecision[];
  met: boolean;
  /** Last counted approval + holdMinutes, when the tier has a hold and the quorum is met. */
  holdUntil?: Date;
}

export type PolicyConfig = Pick<ParsedConfig, 'policy' | 'owners'>;

export function tierPolicy(config: Pick<ParsedConfig, 'policy'>, tier: RecoveryRequest['tier']): TierPolicy {
  return tier === 'privileged' ? config.policy.privileged : config.policy.standard;
}

export function evaluateApprovals(input: {
  /** Through trustedRequest: tier, owners and policy come from the signed plan. */
  request: TrustedRequest;
  approvals: readonly ApprovalRecord[];
  now: Date;
  config: Pick<ParsedConfig, 'policy'>;
  registry: OwnerRegistry;
}): QuorumState {
  const { request, now, registry } = input;
  const policy = signedTierPolicy(input.config, request);
  const owners = new Set(request.owners);
  const best = new Map<string, ApprovalRecord>();
  /** Which principal each verified key id signed for: a quorum counts keys, not names. */
  const principalOfKey = new Map<string, string>();
  const denies: ApprovalRecord[] = [];
  const ignored: IgnoredDecision[] = [];

  for (const a of input.approvals) {
    const ignore = (rule: IgnoredRule, reason: string) =>
      ignored.push({ approvalId: a.id, principal: a.principal, decision: a.decision, rule, reason });
    // The expected payload comes from the request, not the row: a row moved to another
    // request or re-pointed at a new plan no longer matches what was signed.
    const expected = approvalPayload({
      requestId: request.id,
      planDigest: request.planDigest,
      decision: a.decision,
      expiresAt: a.expiresAt,
      principal: a.principal,
      ...(a.purpose ? { purpose: a.purpose } : {}),
      ...requestFields(request),
    });
    const check = verifyProof(a.proof, expected, registry);
    if (!check.ok) {
      ignore(check.rule, check.reason);
      continue;
    }
    // A retrospective review of a break-glass run is not a pre-run decision: it never counts.
    // (Its purpose is signed: a row relabelled either way fails the check above.)
    if (a.purpose === REVIEW_PURPOSE) continue;
    if (a.planDigest !== request.planDigest) {
      ignore(
        'digest-mismatch',
        `approval ${a.id} is for plan ${a.planDigest}, the request's plan is ${request.planDigest}`,
      );
      continue;
    }
    if (a.principal === request.requester) {
      ignore('self-approval', `${a.principal} filed the request and cannot decide it`);
      continue;
    }
    if (!owners.has(a.principal)) {
      ignore('not-owner', `${a.principal} is not an owner of ${request.ref}`);
      continue;
    }
    if (a.decision === 'deny') {
      denies.push(a);
      continue;
    }
    const expires = Date.parse(a.expiresAt);
    // An unparsable expiry counts as expired (NaN compares false both ways).
    if (!(expires > now.getTime())) {
      ignore('approval-expired', `the approval by ${a.principal} expired at ${a.expiresAt}`);
      continue;
    }
    // One key registered under two names must not meet a quorum of "2 distinct owners"
    // (config check refuses it too; this holds even if the registry was edited around it).
    const holder = principalOfKey.get(check.keyId);
    if (holder !== undefined && holder !== a.principal) {
      ignore(
        'same-key',
        `${a.principal} signed with the same key as ${holder} (${check.keyId}); a key counts once`,
      );
      continue;
    }
    principalOfKey.set(check.keyId, a.principal);
    const prev = best.get(a.principal);
    if (!prev || expires > Date.parse(prev.expiresAt)) best.set(a.principal, a);
  }

  const counted = [...best.values()].sort((x, y) => x.principal.localeCompare(y.principal));
  const met = counted.length >= policy.quorum;
  const state: QuorumState = {
    policy,
    need: policy.quorum,
    counted,
    approvers: counted.map((a) => a.principal),
    denies,
    ignored,
    met,
  };
  if (met && policy.holdMinutes > 0) {
    const last = Math.max(...counted.map((a) => approvedAt(a, policy)));
    state.holdUntil = new Date(last + policy.holdMinutes * 60_000);
  }
  return state;
}

/**
 * When an approval was given. `createdAt` is not signed, but `expiresAt` is and was set to
 * approval time + TTL: taking the later of the two means a backdated row cannot shorten the hold.
 */
export function approvedAt(a: ApprovalRecord, policy: TierPolicy): number {
  const fromSignedExpiry = Date.parse(a.expiresAt) - policy.approvalTtlHours * 3_600_000;
  const created = Date.parse(a.createdAt);
  return Number.isFinite(created) ? Math.max(created, fromSignedExpiry) : fromSignedExpiry;
}

/** The most serious reason among ignored approve decisions, for a refusal when none counted. */
export function worstIgnored(ignored: readonly IgnoredDecision[]): IgnoredDecision | undefined {
  for (const rule of IGNORED_RULE_PRIORITY) {
    const hit = ignored.find((i) => i.rule === rule);
    if (hit) return hit;
  }
  return undefined;
}
