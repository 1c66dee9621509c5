/**
 * The AppRole calls behind kind `approle`: secret-ids listed, looked up and destroyed by
 * accessor, the role read, owners from the role's identity entity (docs/adr/013), and new
 * secret-ids minted response-wrapped for delivery (delivery.ts).
 */
import { mapConcurrent, ORDERED } from '../../src/lib/concurrency.js';
import { NotFoundError, ProviderError } from '../../src/lib/errors.js';
import { asObj, dataOf, isoTime, ownersFrom, str, stringMap } from './common.js';
import { parseWrapInfo, type WrappedTarget } from './delivery.js';
import type { VaultKindContext } from './kind.js';
import { encodePath } from './session.js';

export interface SecretIdInfo {
  accessor: string;
  createdAt?: string;
  lastUpdatedAt?: string;
  expiresAt?: string;
  metadata: Record<string, string>;
}

export function createAppRoleApi(ctx: VaultKindContext) {
  const { session } = ctx;
  const mount = encodePath(ctx.config.approle.mount);
  const rolePath = (role: string) => `/auth/${mount}/role/${encodePath(role)}`;
  let mountAccessor: Promise<string | undefined> | undefined;

  function listRoles(signal?: AbortSignal): AsyncIterable<string> {
    return session.listKeys('list approle roles', `/auth/${mount}/role`, 500, signal);
  }

  async function lookup(role: string, accessor: string): Promise<SecretIdInfo | undefined> {
    try {
      const d = dataOf(
        await session.read('lookup secret-id', {
          method: 'POST',
          path: `${rolePath(role)}/secret-id-accessor/lookup`,
          json: { secret_id_accessor: accessor },
        }),
      );
      if (!str(d.secret_id_accessor)) return undefined;
      const info: SecretIdInfo = { accessor, metadata: stringMap(d.metadata) };
      const createdAt = isoTime(d.creation_time);
      const updated = isoTime(d.last_updated_time);
      const expiresAt = isoTime(d.expiration_time);
      if (createdAt) info.createdAt = createdAt;
      // last_updated_time only says something about use when it moved after creation.
      if (updated && updated !== createdAt) info.lastUpdatedAt = updated;
      if (expiresAt) info.expiresAt = expiresAt;
      return info;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      // Vault answers 500 "failed to find accessor entry" for an unknown accessor on some paths.
      if (error instanceof ProviderError && /failed to find accessor/i.test(error.message)) return undefined;
      throw error;
    }
  }

  async function readRole(role: string): Promise<Record<string, unknown>> {
    try {
      return dataOf(await session.read('read approle role', { method: 'GET', path: rolePath(role) }));
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new NotFoundError(`vault approle role ${JSON.stringify(role)} not found`);
      throw error;
    }
  }

  async function secretIds(role: string): Promise<SecretIdInfo[]> {
    const out: SecretIdInfo[] = [];
    const accessors = session.listKeys('list secret-ids', `${rolePath(role)}/secret-id`);
    for await (const info of mapConcurrent(accessors, ctx.concurrency, (a) => lookup(role, a), ORDERED))
      if (info) out.push(info);
    return out.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  }

  /** Fallback owners: metadata of the identity entity whose alias is this role's role_id. */
  async function entityOwners(role: string): Promise<string[]> {
    try {
      mountAccessor ??= session
        .read('read auth mounts', { method: 'GET', path: '/sys/auth' })
        .then((body) => str(asObj(dataOf(body)[`${ctx.config.approle.mount}/`]).accessor));
      const accessor = await mountAccessor;
      const roleId = str(
        dataOf(await session.read('read role-id', { method: 'GET', path: `${rolePath(role)}/role-id` }))
          .role_id,
      );
      if (!accessor || !roleId) return [];
      const body = await session.read('lookup entity', {
        method: 'POST',
        path: '/identity/lookup/entity',
        json: { alias_name: roleId, alias_mount_accessor: accessor },
      });
      return ownersFrom(stringMap(dataOf(body).metadata), ctx.ownerTagKeys);
    } catch (error) {
      ctx.logger.debug({ role, error: String(error) }, 'vault approle: no entity owners');
      return [];
    }
  }

  function target(role: string): WrappedTarget {
    return {
      label: `vault approle ${role}`,
      async create(meta) {
        const body = await session.write(
          'generate secret-id',
          {
            method: 'POST',
            path: `${rolePath(role)}/secret-id`,
            headers: { 'X-Vault-Wrap-TTL': `${ctx.config.approle.wrapTtlSeconds}s` },
            json: { metadata: JSON.stringify(meta) },
          },
          { replayable: false },
        );
        return parseWrapInfo(body, ctx.now());
      },
      async findByKey(key) {
        return (await secretIds(role))
          .filter((s) => s.metadata.nhi_idempotency_key === key)
          .map((s) => s.accessor);
      },
      async exists(accessor) {
        return (await lookup(role, accessor)) !== undefined;
      },
      async destroy(accessor) {
        await destroy(role, accessor);
      },
    };
  }

  async function destroy(role: string, accessor: string): Promise<'revoked' | 'already-revoked'> {
    try {
      await session.write('destroy secret-id', {
        method: 'POST',
        path: `${rolePath(role)}/secret-id-accessor/destroy`,
        json: { secret_id_accessor: accessor },
      });
      return 'revoked';
    } catch (error) {
      if (error instanceof ProviderError && /failed to find accessor/i.test(error.message))
        return 'already-revoked';
      throw error;
    }
  }

  return { listRoles, lookup, readRole, secretIds, entityOwners, target, destroy };
}
