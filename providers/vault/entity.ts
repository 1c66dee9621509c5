/**
 * kind `entity`: identity entities, locator = entity id; scan only. Vault keeps no history
 * of the `disabled` flag, so no re-enable evidence is claimed from provider data: the scan's
 * snapshot comparison (disabled before, enabled now) is what detects it (docs/adr/015-vault-entities.md).
 */

import { mapConcurrent, ORDERED } from '../../src/lib/concurrency.js';
import { NotFoundError } from '../../src/lib/errors.js';
import type { IdentityRecord } from '../../src/provider.js';
import {
  baseRecord,
  dataOf,
  escapeText,
  isoTime,
  ownersFrom,
  refusesName,
  str,
  stringList,
  stringMap,
  visibleTags,
} from './common.js';
import type { KindAdapter, VaultKindContext } from './kind.js';
import { encodePath } from './session.js';

/** Scan only: no revoke, reissue or verify methods, so those capabilities are false. */
export function createEntityKind(ctx: VaultKindContext): KindAdapter {
  const { session } = ctx;

  async function read(id: string): Promise<IdentityRecord | undefined> {
    let d: Record<string, unknown>;
    try {
      d = dataOf(
        await session.read('read entity', { method: 'GET', path: `/identity/entity/id/${encodePath(id)}` }),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    const rec = baseRecord(ctx.instance, 'entity', id);
    const name = str(d.name);
    if (name) rec.name = escapeText(name);
    const meta = stringMap(d.metadata);
    rec.owners = ownersFrom(meta, ctx.ownerTagKeys);
    rec.tags = visibleTags(meta);
    rec.state = d.disabled === true ? 'disabled' : 'enabled';
    const created = isoTime(d.creation_time);
    if (created) rec.createdAt = created;
    const hints = await ctx.policies.hintsFor(stringList(d.policies));
    if (hints.length > 0) rec.privilegeHints = hints;
    return rec;
  }

  return {
    inventory(signal) {
      const ids = (async function* () {
        for await (const id of session.listKeys('list entities', '/identity/entity/id', 500, signal)) {
          if (!refusesName(ctx.logger, 'entity', id)) yield id;
        }
      })();
      const records = mapConcurrent(ids, ctx.concurrency, read, ORDERED);
      return (async function* () {
        for await (const r of records) if (r) yield r;
      })();
    },

    async describe(locator) {
      const rec = await read(locator);
      if (!rec) throw new NotFoundError(`vault entity ${locator} not found`);
      return rec;
    },
  };
}
