/**
 * Kind `iam-key`: an IAM user's access key (locator `<user>/<key-id>`) as a KindAdapter. Listing
 * and activity are in iam-keys.ts, limits, make-room and session revocation in iam-limits.ts,
 * reissue (delivered through Secrets Manager), verify and discard in iam-reissue.ts.
 * No promote: a new access key is live as soon as it exists.
 */
import type { CredentialRef } from '../../src/provider.js';
import type { KindAdapter } from '../../src/provider-kinds.js';
import type { AwsKindContext } from './client.js';
import { iamKeyActivitySince, iamKeyInventory } from './iam-keys.js';
import { describeIamKeyPlanned, makeRoomIamKeys, revokeIamKeysAndSessions } from './iam-limits.js';
import { discardIamKey, reissueIamKey, settleIssuedIamKey, verifyIamKey } from './iam-reissue.js';

export function createIamKeyKind(kc: AwsKindContext): KindAdapter {
  const ref = (locator: string): CredentialRef => ({ instance: kc.instance, kind: 'iam-key', locator });
  return {
    revokeModes: ['deactivate', 'delete'],
    inventory: (signal) => iamKeyInventory(kc, signal),
    describe: (locator, opts) => describeIamKeyPlanned(kc, ref(locator), opts),
    revoke: (locator, versionIds, ctx) => revokeIamKeysAndSessions(kc, ref(locator), versionIds, ctx),
    reissue: (locator, ctx) => reissueIamKey(kc, ref(locator), ctx),
    findIssued: (locator, key) => settleIssuedIamKey(kc, ref(locator), key),
    verify: (locator, issued) => verifyIamKey(kc, ref(locator), issued),
    discard: (locator, issued) => discardIamKey(kc, ref(locator), issued),
    // The only AWS kind with a limit to make room under (2 access keys per user).
    makeRoom: (locator, versionIds, ctx) => makeRoomIamKeys(kc, ref(locator), versionIds, ctx),
    activitySince: (locator, since, versionIds) => iamKeyActivitySince(kc, ref(locator), since, versionIds),
  };
}
