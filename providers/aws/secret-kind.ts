/**
 * Kind `secret`: a Secrets Manager secret as a KindAdapter. Listing and describing are in
 * secrets.ts, the version operations (revoke by label, reissue, promote, discard) in secret-versions.ts.
 */
import type { CredentialRef } from '../../src/provider.js';
import { consumerCopies } from '../../src/provider-derived.js';
import type { KindAdapter } from '../../src/provider-kinds.js';
import type { AwsKindContext } from './client.js';
import {
  discardSecret,
  findIssuedSecret,
  promoteSecret,
  reissueSecret,
  revokeSecretVersions,
  verifySecret,
} from './secret-versions.js';
import { describeSecret, secretActivitySince, secretInventory } from './secrets.js';

export function createSecretKind(kc: AwsKindContext): KindAdapter {
  const ref = (locator: string): CredentialRef => ({ instance: kc.instance, kind: 'secret', locator });
  return {
    revokeModes: ['remove-labels'],
    inventory: (signal) => secretInventory(kc, signal),
    describe: async (locator, opts) => ({
      ...(await describeSecret(kc, ref(locator))),
      derived: [consumerCopies(opts, 're-read the secret')],
    }),
    revoke: (locator, versionIds, ctx) => revokeSecretVersions(kc, ref(locator), versionIds, ctx),
    reissue: (locator, ctx) => reissueSecret(kc, ref(locator), ctx),
    findIssued: (locator, key) => findIssuedSecret(kc, ref(locator), key),
    verify: (locator, issued) => verifySecret(kc, ref(locator), issued),
    promote: (locator, issued) => promoteSecret(kc, ref(locator), issued),
    discard: (locator, issued, ctx) => discardSecret(kc, ref(locator), issued, ctx),
    activitySince: (locator, since, versionIds) => secretActivitySince(kc, ref(locator), since, versionIds),
  };
}
