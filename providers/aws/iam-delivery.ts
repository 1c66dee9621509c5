/**
 * Delivery of a reissued IAM access key pair (ADR 022): the pair is written into a Secrets
 * Manager secret per user with a ClientRequestToken derived from the idempotency key, so the
 * delivery secret's version (id == token) is the proof that a reissue took effect.
 */
import type { GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { NotFoundError, ProviderError } from '../../src/lib/errors.js';
import { own } from '../../src/lib/own.js';
import { SecretValue } from '../../src/lib/secret.js';
import type { AwsKindContext } from './client.js';
import { awsErrorName } from './errors.js';
import { secretsManagerSdk } from './sdk.js';

const { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } = secretsManagerSdk();

export const DELIVERY_KIND = 'aws-secretsmanager';

export function deliverySecretName(kc: AwsKindContext, user: string): string {
  return `${kc.config.iam.deliveryPrefix}${user}`;
}

export async function readDelivery(
  kc: AwsKindContext,
  secretName: string,
  query: { VersionId?: string; VersionStage?: string },
) {
  try {
    return await kc.caller.call<GetSecretValueCommandOutput>(
      'smRead',
      kc.clients.secretsManager,
      new GetSecretValueCommand({ SecretId: secretName, ...query }),
      secretName,
    );
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export function parseDelivered(
  out: GetSecretValueCommandOutput,
  secretName: string,
): { keyId: string; secret: SecretValue } {
  let parsed: { AccessKeyId?: unknown; SecretAccessKey?: unknown } = {};
  try {
    parsed = JSON.parse(out.SecretString ?? '');
  } catch {
    // fall through to the error below without echoing the value
  }
  if (typeof parsed.AccessKeyId !== 'string' || typeof parsed.SecretAccessKey !== 'string') {
    throw new ProviderError(
      `aws delivery secret ${JSON.stringify(secretName)} does not hold an access key pair`,
    );
  }
  return { keyId: parsed.AccessKeyId, secret: new SecretValue(parsed.SecretAccessKey) };
}

export async function deliver(
  kc: AwsKindContext,
  secretName: string,
  token: string,
  pair: SecretValue,
  tags: Record<string, string>,
): Promise<void> {
  const sm = kc.clients.secretsManager;
  const put = () =>
    kc.caller.call(
      'smWrite',
      sm,
      new PutSecretValueCommand({
        SecretId: secretName,
        ClientRequestToken: token,
        SecretString: pair.reveal(),
      }),
      secretName,
    );
  try {
    await put();
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    // First delivery for this user: create the secret; its first version id is the token.
    const owners = kc.ownerTagKeys
      .filter((k) => own(tags, k) !== undefined)
      .map((k) => ({ Key: k, Value: own(tags, k) as string }));
    try {
      await kc.caller.call(
        'smWrite',
        sm,
        new CreateSecretCommand({
          Name: secretName,
          ClientRequestToken: token,
          SecretString: pair.reveal(),
          Description: 'IAM access key pair delivered by nhi-reissue',
          ...(owners.length > 0 ? { Tags: owners.slice(0, 1) } : {}),
        }),
        secretName,
      );
    } catch (createErr) {
      if (awsErrorName(createErr) !== 'ResourceExistsException') throw createErr;
      await put();
    }
  }
}
