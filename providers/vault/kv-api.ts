/** KV v2 calls shared by the kv kind and the wrapped-delivery records. */
import { NotFoundError, UsageError } from '../../src/lib/errors.js';
import { asObj, dataOf, str, stringMap } from './common.js';
import { encodePath, type VaultSession } from './session.js';

export interface KvPath {
  mount: string;
  path: string;
}

export interface KvVersionMeta {
  version: number;
  createdAt?: string;
  deletionTime?: string;
  destroyed: boolean;
}

export interface KvMetadata {
  currentVersion: number;
  createdTime?: string;
  updatedTime?: string;
  custom: Record<string, string>;
  /** Newest first. */
  versions: KvVersionMeta[];
}

/** `mount/path`, taking the longest configured mount that prefixes the locator. */
export function splitKvLocator(locator: string, mounts: readonly string[]): KvPath {
  const trimmed = (m: string) => m.replace(/^\/+|\/+$/g, '');
  const mount = [...mounts]
    .map(trimmed)
    .sort((a, b) => b.length - a.length)
    .find((m) => locator.startsWith(`${m}/`) && locator.length > m.length + 1);
  if (!mount)
    throw new UsageError(`kv locator must be <mount>/<path> under a configured mount (${mounts.join(', ')})`);
  return { mount, path: locator.slice(mount.length + 1) };
}

/** A version whose deletion_time is set and has passed (a future one is only scheduled). */
export function isDeleted(v: KvVersionMeta, now: Date): boolean {
  return v.deletionTime !== undefined && Date.parse(v.deletionTime) <= now.getTime();
}

const url = (p: KvPath, area: 'data' | 'metadata' | 'delete' | 'destroy' | 'undelete') =>
  `/${encodePath(p.mount)}/${area}/${encodePath(p.path)}`;

export async function readKvMetadata(session: VaultSession, p: KvPath): Promise<KvMetadata> {
  const d = dataOf(await session.read('read kv metadata', { method: 'GET', path: url(p, 'metadata') }));
  const versions: KvVersionMeta[] = Object.entries(asObj(d.versions))
    .map(([id, raw]) => {
      const v = asObj(raw);
      const createdAt = str(v.created_time);
      const deletionTime = str(v.deletion_time);
      return {
        version: Number(id),
        destroyed: v.destroyed === true,
        ...(createdAt ? { createdAt } : {}),
        ...(deletionTime ? { deletionTime } : {}),
      };
    })
    .filter((v) => Number.isInteger(v.version) && v.version > 0)
    .sort((a, b) => b.version - a.version);
  const createdTime = str(d.created_time);
  const updatedTime = str(d.updated_time);
  return {
    currentVersion: typeof d.current_version === 'number' ? d.current_version : 0,
    custom: stringMap(d.custom_metadata),
    versions,
    ...(createdTime ? { createdTime } : {}),
    ...(updatedTime ? { updatedTime } : {}),
  };
}

/** The data of one version, or undefined when it is deleted or destroyed. */
export async function readKvData(
  session: VaultSession,
  p: KvPath,
  version: number,
): Promise<Record<string, unknown> | undefined> {
  try {
    const body = await session.read('read kv version', {
      method: 'GET',
      path: `${url(p, 'data')}?version=${version}`,
    });
    const data = dataOf(body).data;
    return data === null || data === undefined ? undefined : asObj(data);
  } catch (error) {
    // KV answers 404 for a deleted or destroyed version (the metadata still exists).
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Write with check-and-set; returns the new version number. */
export async function writeKvData(
  session: VaultSession,
  p: KvPath,
  data: Record<string, unknown>,
  cas: number,
): Promise<{ version: number; createdAt?: string }> {
  const body = await session.write(
    'write kv version',
    { method: 'POST', path: url(p, 'data'), json: { options: { cas }, data } },
    { replayable: false },
  );
  const d = dataOf(body);
  const createdAt = str(d.created_time);
  return {
    version: typeof d.version === 'number' ? d.version : cas + 1,
    ...(createdAt ? { createdAt } : {}),
  };
}

/** Merge custom_metadata entries (PATCH keeps the others). */
export async function patchKvCustomMetadata(
  session: VaultSession,
  p: KvPath,
  /** null removes a key (JSON merge patch). */
  custom: Record<string, string | null>,
): Promise<void> {
  await session.write('patch kv metadata', {
    method: 'PATCH',
    path: url(p, 'metadata'),
    json: { custom_metadata: custom },
    headers: { 'Content-Type': 'application/merge-patch+json' },
  });
}

export async function kvVersionsAction(
  session: VaultSession,
  p: KvPath,
  action: 'delete' | 'destroy',
  versions: number[],
): Promise<void> {
  await session.write(`${action} kv versions`, { method: 'POST', path: url(p, action), json: { versions } });
}

export async function deleteKvMetadata(session: VaultSession, p: KvPath): Promise<void> {
  await session.write('delete kv metadata', { method: 'DELETE', path: url(p, 'metadata') });
}

export function isCasMismatch(error: unknown): boolean {
  return error instanceof Error && /check-and-set/i.test(error.message);
}
