/** Small pieces shared by the Vault kinds: body parsing, owners, names, policy hints. */
import type { Logger } from 'pino';
import { own, recordFrom } from '../../src/lib/own.js';
import { formatRef } from '../../src/lib/ref.js';
import type { CredentialKind, IdentityRecord } from '../../src/provider.js';

export type Json = Record<string, unknown>;

export function asObj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

export function dataOf(body: unknown): Json {
  return asObj(asObj(body).data);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Only the string-valued entries of a metadata map. */
export function stringMap(value: unknown): Record<string, string> {
  return recordFrom(
    Object.entries(asObj(value)).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function hasControlChars(text: string): boolean {
  return CONTROL.test(text);
}

/** Text with control characters JSON-escaped, safe for a terminal or a log line. */
export function escapeText(text: string): string {
  return hasControlChars(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** Bookkeeping keys the adapter writes into metadata; they are not shown as tags. */
export function isBookkeepingKey(key: string): boolean {
  return key.startsWith('nhi-issue-') || key.startsWith('nhi_');
}

export function visibleTags(meta: Record<string, string>): Record<string, string> {
  return recordFrom(
    Object.entries(meta)
      .filter(([k]) => !isBookkeepingKey(k))
      .map(([k, v]) => [escapeText(k), escapeText(v)] as const),
  );
}

/** First owner key present wins; its value may list several principals separated by commas. */
export function ownersFrom(meta: Record<string, string>, ownerTagKeys: readonly string[]): string[] {
  for (const key of ownerTagKeys) {
    const raw = own(meta, key);
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    return [
      ...new Set(
        raw
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      ),
    ];
  }
  return [];
}

/** Metadata entries that carry owners, to copy onto a new credential. */
export function ownerEntries(
  meta: Record<string, string>,
  ownerTagKeys: readonly string[],
): Record<string, string> {
  const pairs: [string, string][] = [];
  for (const key of ownerTagKeys) {
    const value = own(meta, key);
    if (value !== undefined) pairs.push([key, value]);
  }
  return recordFrom(pairs);
}

export function baseRecord(instance: string, kind: CredentialKind, locator: string): IdentityRecord {
  return {
    ref: formatRef({ instance, kind, locator }),
    provider: 'vault',
    instance,
    kind,
    name: escapeText(locator),
    owners: [],
    state: 'enabled',
    lastUsedConfidence: 'none',
    tags: {},
    versions: [],
  };
}

/** Skip a provider name that cannot be a ref (control characters), with a warning that cannot forge log lines. */
export function refusesName(logger: Logger, kind: CredentialKind, name: string): boolean {
  if (!hasControlChars(name)) return false;
  logger.warn(
    { kind, name: JSON.stringify(name) },
    'vault: skipped an identity whose name has control characters',
  );
  return true;
}

/** Vault times: ISO strings, or unix seconds in token lookups; Go's zero time means "none". */
export function isoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && value > 0) return new Date(value * 1000).toISOString();
  if (typeof value !== 'string' || value === '' || value.startsWith('0001-01-01')) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The idempotency key is `runId:stepId`; the run id names delivery records. */
export function runIdOf(idempotencyKey: string): string {
  const at = idempotencyKey.lastIndexOf(':');
  return at > 0 ? idempotencyKey.slice(0, at) : idempotencyKey;
}

/** A delivery path segment: run ids and role names are user text, kept to a safe alphabet. */
export function pathSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) || '_';
}
