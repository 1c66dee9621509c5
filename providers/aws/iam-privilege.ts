/**
 * The built-in privilege rule for IAM users: "iam:admin" when the user has the AWS managed
 * AdministratorAccess policy, or any policy (inline, customer managed, via a group) that
 * allows "*" on "*". Inline group policies are not read (one more call per group per user).
 */
import type {
  GetPolicyCommandOutput,
  GetPolicyVersionCommandOutput,
  GetUserPolicyCommandOutput,
  ListAttachedGroupPoliciesCommandOutput,
  ListAttachedUserPoliciesCommandOutput,
  ListGroupsForUserCommandOutput,
  ListUserPoliciesCommandOutput,
} from '@aws-sdk/client-iam';
import { type AwsKindContext, paginate } from './client.js';
import { iamSdk } from './sdk.js';

const {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserPolicyCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
} = iamSdk();

const AWS_ADMIN_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\/AdministratorAccess$/;
const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\//;

/** Policy ARN -> allows everything; one cache per inventory walk (policies are shared by many users). */
export type PolicyCache = Map<string, Promise<boolean>>;

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/** Does a policy document allow "*" on "*"? Accepts IAM's URL-encoded form. Conditions are ignored (conservative). */
export function allowsEverything(document: unknown): boolean {
  if (typeof document !== 'string') return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(document.trimStart().startsWith('%') ? decodeURIComponent(document) : document);
  } catch {
    return false;
  }
  const statements = asList((parsed as { Statement?: unknown })?.Statement);
  return statements.some((s) => {
    const st = s as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    return st?.Effect === 'Allow' && asList(st.Action).includes('*') && asList(st.Resource).includes('*');
  });
}

async function managedPolicyIsAdmin(kc: AwsKindContext, arn: string): Promise<boolean> {
  if (AWS_ADMIN_POLICY.test(arn)) return true;
  // Other AWS managed policies are known quantities; only customer policies need reading.
  if (AWS_MANAGED.test(arn)) return false;
  const policy = await kc.caller.call<GetPolicyCommandOutput>(
    'iamRead',
    kc.clients.iam,
    new GetPolicyCommand({ PolicyArn: arn }),
    arn,
  );
  const versionId = policy.Policy?.DefaultVersionId;
  if (!versionId) return false;
  const version = await kc.caller.call<GetPolicyVersionCommandOutput>(
    'iamRead',
    kc.clients.iam,
    new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }),
    arn,
  );
  return allowsEverything(version.PolicyVersion?.Document);
}

function cachedIsAdmin(kc: AwsKindContext, arn: string, cache: PolicyCache): Promise<boolean> {
  let hit = cache.get(arn);
  if (!hit) {
    hit = managedPolicyIsAdmin(kc, arn);
    cache.set(arn, hit);
  }
  return hit;
}

function listed<T>(
  what: string,
  user: string,
  fetch: (
    marker: string | undefined,
  ) => Promise<{ items: T[]; truncated?: boolean | undefined; marker?: string | undefined }>,
): AsyncGenerator<T> {
  return paginate(`${what} ${JSON.stringify(user)}`, async (marker) => {
    const page = await fetch(marker);
    return { items: page.items, next: page.truncated ? page.marker : undefined };
  });
}

export async function userIsAdmin(kc: AwsKindContext, user: string, cache: PolicyCache): Promise<boolean> {
  const iam = kc.clients.iam;
  const m = (marker: string | undefined) => (marker ? { Marker: marker } : {});
  const attached = listed('ListAttachedUserPolicies', user, async (marker) => {
    const out = await kc.caller.call<ListAttachedUserPoliciesCommandOutput>(
      'iamRead',
      iam,
      new ListAttachedUserPoliciesCommand({ UserName: user, ...m(marker) }),
      user,
    );
    return { items: out.AttachedPolicies ?? [], truncated: out.IsTruncated, marker: out.Marker };
  });
  for await (const p of attached)
    if (p.PolicyArn && (await cachedIsAdmin(kc, p.PolicyArn, cache))) return true;

  const inline = listed('ListUserPolicies', user, async (marker) => {
    const out = await kc.caller.call<ListUserPoliciesCommandOutput>(
      'iamRead',
      iam,
      new ListUserPoliciesCommand({ UserName: user, ...m(marker) }),
      user,
    );
    return { items: out.PolicyNames ?? [], truncated: out.IsTruncated, marker: out.Marker };
  });
  for await (const name of inline) {
    const doc = await kc.caller.call<GetUserPolicyCommandOutput>(
      'iamRead',
      iam,
      new GetUserPolicyCommand({ UserName: user, PolicyName: name }),
      user,
    );
    if (allowsEverything(doc.PolicyDocument)) return true;
  }

  const groups = listed('ListGroupsForUser', user, async (marker) => {
    const out = await kc.caller.call<ListGroupsForUserCommandOutput>(
      'iamRead',
      iam,
      new ListGroupsForUserCommand({ UserName: user, ...m(marker) }),
      user,
    );
    return { items: out.Groups ?? [], truncated: out.IsTruncated, marker: out.Marker };
  });
  for await (const group of groups) {
    if (!group.GroupName) continue;
    const groupName = group.GroupName;
    const policies = listed('ListAttachedGroupPolicies', groupName, async (marker) => {
      const out = await kc.caller.call<ListAttachedGroupPoliciesCommandOutput>(
        'iamRead',
        iam,
        new ListAttachedGroupPoliciesCommand({ GroupName: groupName, ...m(marker) }),
        groupName,
      );
      return { items: out.AttachedPolicies ?? [], truncated: out.IsTruncated, marker: out.Marker };
    });
    for await (const p of policies)
      if (p.PolicyArn && (await cachedIsAdmin(kc, p.PolicyArn, cache))) return true;
  }
  return false;
}
