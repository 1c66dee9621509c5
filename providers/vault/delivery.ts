/**
 * Response-wrapped delivery for minted credentials (AppRole secret-ids, tokens). The adapter
 * never sees the secret: Vault wraps it and the single-use wrapping token is written to a
 * KV v2 delivery record `<deliveryPath>/<segment>/<runId>`. The record also carries the run's
 * state ('prepared' -> 'pending' -> 'delivered'), which makes reissue idempotent across lost
 * responses (docs/adr/012-vault-wrapped-delivery.md).
 */
import { ConflictError, NotFoundError, ProviderError } from '../../src/lib/errors.js';
import { sameFingerprint } from '../../src/lib/fingerprint.js';
import { type InFlightSecrets, scrubError } from '../../src/lib/scrub.js';
import { SecretValue } from '../../src/lib/secret.js';
import type { IssuedCredential, VerifyResult } from '../../src/provider.js';
import { asObj, dataOf, isoTime, str } from './common.js';
import type { VaultKindContext } from './kind.js';
import {
  deleteKvMetadata,
  isCasMismatch,
  type KvPath,
  patchKvCustomMetadata,
  readKvData,
  readKvMetadata,
  splitKvLocator,
  writeKvData,
} from './kv-api.js';

export interface WrapInfo {
  token: SecretValue;
  accessor: string;
  wrappedAccessor: string;
  creationPath: string;
  expiresAt?: string;
  issuedAt: string;
}

export interface DeliveryRecord {
  version: number;
  data: Record<string, unknown>;
}

/** How one kind mints, finds and destroys its credentials. */
export interface WrappedTarget {
  label: string;
  /** Mint a wrapped credential carrying these metadata entries. Must not be replayed. */
  create(meta: Record<string, string>): Promise<WrapInfo>;
  /** Accessors of live credentials whose metadata carries this idempotency key. */
  findByKey(idempotencyKey: string): Promise<string[]>;
  exists(accessor: string): Promise<boolean>;
  destroy(accessor: string): Promise<void>;
}

export function deliveryLocator(base: string, ...segments: string[]): string {
  return [base.replace(/\/+$/, ''), ...segments].join('/');
}

export function deliveryPath(ctx: VaultKindContext, locator: string): KvPath {
  const first = locator.split('/')[0] ?? '';
  return splitKvLocator(locator, [...ctx.config.kv.mounts, first]);
}

export function parseWrapInfo(body: unknown, now: Date): WrapInfo {
  const w = asObj(asObj(body).wrap_info);
  const token = str(w.token);
  const accessor = str(w.accessor);
  const wrappedAccessor = str(w.wrapped_accessor);
  if (!token || !accessor || !wrappedAccessor) throw new ProviderError('vault did not wrap the response');
  const created = isoTime(w.creation_time) ?? now.toISOString();
  const ttl = typeof w.ttl === 'number' ? w.ttl : 0;
  return {
    token: new SecretValue(token),
    accessor,
    wrappedAccessor,
    creationPath: str(w.creation_path) ?? '',
    issuedAt: created,
    ...(ttl > 0 ? { expiresAt: new Date(Date.parse(created) + ttl * 1000).toISOString() } : {}),
  };
}

export async function readDelivery(ctx: VaultKindContext, p: KvPath): Promise<DeliveryRecord | undefined> {
  try {
    const meta = await readKvMetadata(ctx.session, p);
    const data = await readKvData(ctx.session, p, meta.currentVersion);
    return data ? { version: meta.currentVersion, data } : undefined;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Stash what a later reissue needs (token template, owners) before revoke removes it. First write wins. */
export async function prepareDelivery(
  ctx: VaultKindContext,
  p: KvPath,
  data: Record<string, unknown>,
  owners: Record<string, string>,
): Promise<void> {
  try {
    await writeKvData(ctx.session, p, { ...data, nhi_state: 'prepared' }, 0);
    if (Object.keys(owners).length > 0) await patchKvCustomMetadata(ctx.session, p, owners);
  } catch (error) {
    if (!isCasMismatch(error)) throw error;
  }
}

function issuedFrom(ctx: VaultKindContext, rec: DeliveryRecord, location: string): IssuedCredential {
  const token = str(rec.data.wrapping_token) ?? '';
  return {
    versionId: str(rec.data.wrapped_accessor) ?? '',
    fingerprint: ctx.fingerprint(token),
    issuedAt: str(rec.data.issued_at) ?? ctx.now().toISOString(),
    status: 'already-issued',
    delivery: { kind: 'vault-response-wrapped', location },
  };
}

export async function findWrapped(
  ctx: VaultKindContext,
  location: string,
  key: string,
): Promise<IssuedCredential | undefined> {
  const rec = await readDelivery(ctx, deliveryPath(ctx, location));
  if (rec?.data.nhi_state !== 'delivered' || rec.data.idempotency_key !== key) return undefined;
  return issuedFrom(ctx, rec, location);
}

export async function issueWrapped(
  ctx: VaultKindContext,
  target: WrappedTarget,
  location: string,
  key: string,
  meta: Record<string, string>,
  owners: Record<string, string>,
  /** The step's in-flight values: the wrapping token is added before it is written anywhere. */
  inFlight?: InFlightSecrets,
): Promise<IssuedCredential> {
  const p = deliveryPath(ctx, location);
  const rec = await readDelivery(ctx, p);
  const state = rec?.data.nhi_state;
  if (rec && state !== 'prepared' && rec.data.idempotency_key !== key) {
    throw new ConflictError(`${target.label}: delivery record ${location} belongs to another step`);
  }
  if (rec && state === 'delivered') return issuedFrom(ctx, rec, location);
  if (state === 'pending') {
    // An earlier attempt may have minted a credential whose wrapped answer never arrived:
    // nobody can ever unwrap it, so it is destroyed before minting the one we deliver.
    for (const accessor of await target.findByKey(key)) {
      ctx.logger.warn(
        { accessor, key },
        `${target.label}: destroyed an undeliverable credential from an interrupted reissue`,
      );
      await target.destroy(accessor);
    }
  }
  const kept = { ...(rec?.data ?? {}) };
  const pending = await writeKvData(
    ctx.session,
    p,
    { ...kept, nhi_state: 'pending', idempotency_key: key },
    rec?.version ?? 0,
  );
  if (Object.keys(owners).length > 0) await patchKvCustomMetadata(ctx.session, p, owners);
  const wrap = await target.create({ ...meta, nhi_idempotency_key: key });
  inFlight?.add(wrap.token);
  try {
    await writeKvData(
      ctx.session,
      p,
      {
        ...kept,
        nhi_state: 'delivered',
        idempotency_key: key,
        wrapping_token: wrap.token.reveal(),
        wrapping_accessor: wrap.accessor,
        wrapped_accessor: wrap.wrappedAccessor,
        creation_path: wrap.creationPath,
        issued_at: wrap.issuedAt,
        ...(wrap.expiresAt ? { expires_at: wrap.expiresAt } : {}),
      },
      pending.version,
    );
  } catch (error) {
    // Undelivered means unusable by its owner: remove it now rather than leave it live.
    await target.destroy(wrap.wrappedAccessor).catch(() => undefined);
    throw scrubError(error, [wrap.token]);
  }
  return {
    versionId: wrap.wrappedAccessor,
    fingerprint: ctx.fingerprint(wrap.token),
    issuedAt: wrap.issuedAt,
    status: 'issued',
    delivery: { kind: 'vault-response-wrapped', location },
  };
}

export async function verifyWrapped(
  ctx: VaultKindContext,
  target: WrappedTarget,
  location: string,
  issued: IssuedCredential,
): Promise<VerifyResult> {
  const rec = await readDelivery(ctx, deliveryPath(ctx, location));
  const token = str(rec?.data.wrapping_token);
  if (!rec || !token || rec.data.nhi_state !== 'delivered') {
    return { ok: false, detail: `no delivered wrapping token at ${location}` };
  }
  if (
    rec.data.wrapped_accessor !== issued.versionId ||
    !sameFingerprint(ctx.fingerprint(token), issued.fingerprint)
  ) {
    return { ok: false, detail: `the delivery at ${location} is not the issued credential` };
  }
  if (!(await target.exists(issued.versionId))) {
    return { ok: false, detail: `${target.label} accessor ${issued.versionId} no longer exists` };
  }
  try {
    const body = await ctx.session.write('lookup wrapping token', {
      method: 'POST',
      path: '/sys/wrapping/lookup',
      json: { token },
    });
    const path = str(dataOf(body).creation_path);
    if (path !== str(rec.data.creation_path))
      return { ok: false, detail: 'wrapping token wraps a different path' };
  } catch (error) {
    if (error instanceof ProviderError && error.status === 400) {
      return { ok: false, detail: 'wrapping token already unwrapped or expired: confirm with the consumer' };
    }
    throw error;
  }
  return {
    ok: true,
    detail: `accessor ${issued.versionId} is live and its wrapping token is unused at ${location}`,
  };
}

export async function discardWrapped(
  ctx: VaultKindContext,
  target: WrappedTarget,
  location: string,
  issued: IssuedCredential,
): Promise<void> {
  const p = deliveryPath(ctx, location);
  const rec = await readDelivery(ctx, p);
  if (await target.exists(issued.versionId)) await target.destroy(issued.versionId);
  const wrapping = str(rec?.data.wrapping_accessor);
  if (wrapping) {
    await ctx.session.write('revoke wrapping token', {
      method: 'POST',
      path: '/auth/token/revoke-accessor',
      json: { accessor: wrapping },
    });
  }
  await deleteKvMetadata(ctx.session, p).catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
  });
}
