/**
 * What a plan view needs that the signed plan does not carry, read from the config: the
 * break-glass group and alert targets (both in the signed policy document, src/policy/document.ts)
 * and where the provider instance delivers a reissued credential (operational config).
 */
import { resolveOwners } from '../approval/owners/owners.js';
import type { ParsedConfig, ProviderInstance } from '../config/schema.js';
import { own } from '../lib/own.js';
import type { Plan } from '../runbook/plan-types.js';
import type { PlanViewInput, PolicyFacts } from './model.js';
import { locatorOf } from './wording.js';

export type PlanConfig = Pick<ParsedConfig, 'owners' | 'policy'> & Partial<Pick<ParsedConfig, 'providers'>>;

/** The config-side facts for a view of `plan`: pass them with the plan to buildPlanView. */
export function configFacts(config: PlanConfig, plan: Plan): Pick<PlanViewInput, 'policy' | 'delivery'> {
  const instance = config.providers ? own(config.providers, plan.instance) : undefined;
  return { policy: policyFacts(config, plan.policy.tier), delivery: deliveryOf(plan, instance) };
}

export function policyFacts(
  config: Pick<ParsedConfig, 'owners' | 'policy'>,
  tier: 'standard' | 'privileged',
): PolicyFacts {
  const group = [...config.owners.breakGlass];
  const tierAlerts = tier === 'privileged' ? config.policy.privileged.alert : config.policy.standard.alert;
  // Privileged requests also go to the security channel (src/approval/notifications.ts).
  const alerts = tier === 'privileged' ? [...tierAlerts, ...config.policy.securityAlert] : [...tierAlerts];
  return {
    breakGlass: { group, members: resolveOwners(group, config.owners).principals },
    alerts: [...new Set(alerts)],
  };
}

/**
 * Where the new credential ends up, in the words of the README's "Where the new credential is".
 * Without the instance's config (a notification), the config keys stand in for the paths.
 */
export function deliveryOf(plan: Plan, instance: ProviderInstance | undefined): string {
  const locator = locatorOf(plan.ref);
  const vault = instance?.type === 'vault' ? instance : undefined;
  switch (`${plan.provider}:${plan.credentialKind}`) {
    case 'vault:kv':
      return `in place: a new version of ${locator} (check-and-set write); consumers read the same path`;
    case 'vault:approle': {
      const base = vault?.approle.deliveryPath ?? '<approle.deliveryPath>';
      const ttl = vault ? `${vault.approle.wrapTtlSeconds} s` : 'approle.wrapTtlSeconds';
      return `response-wrapped: a single-use wrapping token in the KV record ${trim(base)}/${locator.split('/')[0]}/<run id>, to unwrap within ${ttl}; the secret-id is never printed`;
    }
    case 'vault:token': {
      const base = vault
        ? (vault.token.deliveryPath ?? `${trim(vault.approle.deliveryPath)}/token`)
        : '<token.deliveryPath>';
      const ttl = vault ? `${vault.token.wrapTtlSeconds ?? vault.approle.wrapTtlSeconds} s` : 'the wrap TTL';
      return `response-wrapped: a single-use wrapping token in the KV record ${trim(base)}/<run id>, to unwrap within ${ttl}; the token is never printed`;
    }
    case 'aws:secret':
      return plan.runbook.order === 'reissue-then-revoke'
        ? `in place: a new version of ${locator}, staged, and AWSCURRENT after it verifies; consumers read the same secret`
        : `in place: a new version of ${locator} labelled AWSCURRENT at once; consumers read the same secret`;
    case 'aws:iam-key': {
      const prefix = instance?.type === 'aws' ? instance.iam.deliveryPrefix : '<iam.deliveryPrefix>';
      return `the key pair is written to the Secrets Manager secret ${prefix}${locator.split('/')[0]}; never printed`;
    }
    case 'azure:secret':
      return `in place: a new version of ${locator}, owner tags carried over, tagged with the run id; consumers read the same secret`;
    default:
      return 'where the provider puts a reissued credential of this kind';
  }
}

const trim = (path: string) => path.replace(/\/+$/, '');
