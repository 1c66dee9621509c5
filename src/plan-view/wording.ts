/** The sentences a plan view says about its parts: the same words in every output format. */
import type { GeneratorSpec } from '../lib/generator.js';
import type { Plan, PlannedStep } from '../runbook/plan-types.js';
import type { RunbookOrder, StepType } from '../runbook/schema.js';

/** The locator of a ref (`<instance>:<kind>:<locator>`), without parsing rules: plans come from storage too. */
export function locatorOf(ref: string): string {
  const first = ref.indexOf(':');
  const second = first < 0 ? -1 : ref.indexOf(':', first + 1);
  return second < 0 ? ref : ref.slice(second + 1);
}

export function describeOrder(order: RunbookOrder): string {
  return order === 'revoke-then-reissue'
    ? 'the old credential loses access first; if the new one cannot be issued the run stops for attention, and a revoked credential is never re-enabled automatically'
    : 'the new credential is issued and verified first, then the old one is retired; a new one that does not verify is discarded and the old one left alone';
}

/** "none", "3 s", "45 min", "2 h". */
export function formatHold(minutes: number): string {
  if (minutes <= 0) return 'none';
  if (minutes < 1) return `${Math.round(minutes * 60)} s`;
  if (minutes >= 60 && Number.isInteger(minutes / 60)) return `${minutes / 60} h`;
  return `${minutes} min`;
}

/** "1 owner", "2 distinct owners": a quorum counts distinct owners' keys. */
export function quorumOf(n: number): string {
  return n === 1 ? '1 owner' : `${n} distinct owners`;
}

/** The quorum rule as an owner reads it. */
export function quorumRule(n: number): string {
  return n === 1
    ? '1 owner must approve, with their own key'
    : `${n} distinct owners must approve, each with their own key`;
}

export function describeGenerator(spec: GeneratorSpec, kind: string): string {
  switch (spec.type) {
    case 'password':
      return `password, ${spec.length} characters (letters and digits${spec.symbols ? ' and symbols' : ''})`;
    case 'hex':
      return `${spec.bytes} random bytes, hex-encoded`;
    case 'base64':
      return `${spec.bytes} random bytes, base64url-encoded`;
    case 'provider':
      return `made by the provider (${PROVIDER_MADE[kind] ?? 'the provider issues it'}); nhi generates no value`;
  }
}

const PROVIDER_MADE: Record<string, string> = {
  approle: 'Vault mints the secret-id',
  token: 'Vault creates the token',
  'iam-key': 'IAM creates the access key pair',
};

export function describeWhatIsCreated(plan: Plan): string {
  const locator = locatorOf(plan.ref);
  switch (plan.credentialKind) {
    case 'kv':
      return `a new version of ${locator}`;
    case 'secret':
      return `a new version of secret ${locator}`;
    case 'approle':
      return `a new secret-id for role ${locator.split('/')[0]}`;
    case 'token':
      return 'a new token with the same policies and role, as a new identity linked by lineage';
    case 'iam-key':
      return `a new access key for IAM user ${locator.split('/')[0]}, as a new identity linked by lineage`;
    default:
      return `one new ${plan.credentialKind} credential`;
  }
}

type StepWords = (step: PlannedStep, plan: Plan) => string;

/** What each step does to this target. A new step type fails to compile until it is worded here. */
const STEP_WORDS: { readonly [T in StepType]: StepWords } = {
  snapshot: () =>
    're-reads the target; before the first change the run plans again and is refused if the digest differs',
  approval: (_s, plan) =>
    `counts verified approvals of this digest: ${quorumOf(plan.policy.quorum)} needed (break-glass runs without)`,
  hold: (_s, plan) =>
    plan.policy.holdMinutes > 0
      ? `waits ${formatHold(plan.policy.holdMinutes)} after the last approval (only break-glass skips it)`
      : 'no hold in this tier: passes at once',
  'make-room': (_s, plan) => {
    const ids = plan.limits.flatMap((l) => l.makeRoom ?? []);
    return ids.length
      ? `deletes ${ids.join(', ')} (already unusable) so the new credential fits the provider limit`
      : 'nothing to delete: within every provider limit';
  },
  revoke: (_s, plan) =>
    `revokes the version(s) marked - (mode ${plan.revoke.mode ?? 'provider default'})${
      plan.derived.some((d) => d.action === 'revoke') ? ' and the derived credentials marked -' : ''
    }`,
  reissue: (s) =>
    s.params.stage === 'pending'
      ? 'creates the credential marked +, staged (not serving) until verify promotes it'
      : 'creates the credential marked +',
  verify: (_s, plan) =>
    plan.runbook.order === 'reissue-then-revoke'
      ? plan.steps.some((x) => x.type === 'reissue' && x.params.stage === 'pending')
        ? 'checks the new credential is live and holds the issued value, then lets it serve, before anything is retired'
        : 'checks the new credential is live and holds the issued value before anything is retired'
      : 'checks the new credential is live and holds the issued value, then lets it serve',
  'review-activity': () =>
    'looks for use of the old credential since its revocation; later scans keep looking (revoked-still-used)',
  hook: (s) =>
    `calls hook "${String(s.params.hook ?? '?')}" to tell the consumer: ref, new version id and delivery location, never the value`,
  notify: (s) => {
    const targets = Array.isArray(s.params.targets) ? s.params.targets.map(String) : [];
    return `tells ${targets.length ? targets.join(', ') : 'every configured notify target'} the outcome: ids and versions, never values`;
  },
};

export function describeStep(step: PlannedStep, plan: Plan): string {
  const words = STEP_WORDS[step.type];
  return words ? words(step, plan) : `step type ${step.type}`;
}
