// In-memory secret store for the fake Azure Key Vault, shaped after the Key Vault REST API
// (SecretBundle, SecretItem, DeletedSecretBundle, DeletedSecretItem; attributes in unix seconds).
// Test infrastructure only (see test/servers/README.md). Node built-ins only.
import { randomBytes } from 'node:crypto';
import { badParameter, KvError } from './http.mjs';

export const RECOVERY_LEVEL = 'Recoverable+Purgeable';
export const RECOVERABLE_DAYS = 90;
const NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_TAGS = 15;
const NOT_FOUND_HINT =
  'If you recently deleted this secret you may be able to recover it using the correct recovery command. ' +
  'For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182';

/**
 * @typedef {{ version: string, seq: number, value: string, contentType?: string, tags?: Record<string, string>,
 *   enabled: boolean, nbf?: number, exp?: number, created: number, updated: number }} Version
 * @typedef {{ name: string, versions: Version[] }} Secret
 * @typedef {{ secret: Secret, deletedDate: number, scheduledPurgeDate: number }} Deleted
 */

/** @param {string} name */
export function checkName(name) {
  if (!NAME_RE.test(name)) throw badParameter(`The request URI contains an invalid name: ${name}`);
  return name;
}

const secretNotFound = (/** @type {string} */ what) =>
  new KvError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${what} was not found in this key vault. ${NOT_FOUND_HINT}`,
  );

/**
 * @param {{ baseUrl: string, now?: () => number }} opts
 */
export function createStore({ baseUrl, now = () => Date.now() }) {
  /** @type {Map<string, Secret>} */
  const live = new Map();
  /** @type {Map<string, Deleted>} */
  const deleted = new Map();
  let seq = 0;
  const nowSec = () => Math.floor(now() / 1000);

  /** @param {Version} v */
  function attributes(v) {
    /** @type {Record<string, unknown>} */
    const a = { enabled: v.enabled };
    if (v.nbf !== undefined) a.nbf = v.nbf;
    if (v.exp !== undefined) a.exp = v.exp;
    a.created = v.created;
    a.updated = v.updated;
    a.recoveryLevel = RECOVERY_LEVEL;
    a.recoverableDays = RECOVERABLE_DAYS;
    return a;
  }

  /** SecretBundle (value only when asked), or with `item` a list item whose id has no version. */
  function bundle(
    /** @type {Secret} */ s,
    /** @type {Version} */ v,
    /** @type {{ value?: boolean, item?: boolean }} */ o = {},
  ) {
    /** @type {Record<string, unknown>} */
    const b = {};
    if (o.value) b.value = v.value;
    b.id = o.item ? `${baseUrl}/secrets/${s.name}` : `${baseUrl}/secrets/${s.name}/${v.version}`;
    if (v.contentType !== undefined) b.contentType = v.contentType;
    b.attributes = attributes(v);
    if (v.tags !== undefined) b.tags = { ...v.tags };
    return b;
  }

  /** DeletedSecretBundle / DeletedSecretItem. */
  function deletedBundle(/** @type {Deleted} */ d, /** @type {boolean} */ item) {
    const s = d.secret;
    const latest = /** @type {Version} */ (s.versions.at(-1));
    return {
      recoveryId: `${baseUrl}/deletedsecrets/${s.name}`,
      deletedDate: d.deletedDate,
      scheduledPurgeDate: d.scheduledPurgeDate,
      ...bundle(s, latest, { item }),
    };
  }

  /** @param {string} name */
  function liveSecret(name) {
    const s = live.get(checkName(name).toLowerCase());
    if (!s) throw secretNotFound(name);
    return s;
  }

  /** @param {Secret} s @param {string} version '' = latest */
  function findVersion(s, version) {
    if (!version) return /** @type {Version} */ (s.versions.at(-1));
    const v = s.versions.find((x) => x.version === version.toLowerCase());
    if (!v) throw secretNotFound(`${s.name}/${version}`);
    return v;
  }

  /** Validate SecretAttributes-like input; returns only the writable fields present. */
  function readAttributes(/** @type {unknown} */ raw) {
    if (raw === undefined || raw === null) return {};
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw badParameter('Property attributes must be an object.');
    const a = /** @type {Record<string, unknown>} */ (raw);
    /** @type {{ enabled?: boolean, nbf?: number | null, exp?: number | null }} */
    const out = {};
    if (a.enabled !== undefined && a.enabled !== null) {
      if (typeof a.enabled !== 'boolean')
        throw badParameter('Property attributes.enabled must be a boolean.');
      out.enabled = a.enabled;
    }
    for (const k of /** @type {const} */ (['nbf', 'exp'])) {
      if (a[k] === undefined) continue;
      if (a[k] !== null && !Number.isInteger(a[k]))
        throw badParameter(`Property attributes.${k} must be unix seconds.`);
      out[k] = /** @type {number | null} */ (a[k]);
    }
    return out;
  }

  function readTags(/** @type {unknown} */ raw) {
    if (raw === undefined) return undefined;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw badParameter('Property tags must be an object.');
    const entries = Object.entries(/** @type {Record<string, unknown>} */ (raw));
    if (entries.length > MAX_TAGS) throw badParameter(`A maximum of ${MAX_TAGS} tags is allowed.`);
    /** @type {Record<string, string>} */
    const tags = {};
    for (const [k, v] of entries) {
      if (typeof v !== 'string') throw badParameter(`Tag ${k} must have a string value.`);
      tags[k] = v;
    }
    return tags;
  }

  function readContentType(/** @type {unknown} */ raw) {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string') throw badParameter('Property contentType must be a string.');
    return raw;
  }

  return {
    reset() {
      live.clear();
      deleted.clear();
    },

    /** SetSecret: new version; 409 if the name is soft-deleted. */
    set(/** @type {string} */ name, /** @type {Record<string, unknown>} */ body) {
      const key = checkName(name).toLowerCase();
      if (deleted.has(key)) {
        throw new KvError(
          409,
          'Conflict',
          `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
          'ObjectIsDeletedButRecoverable',
        );
      }
      if (typeof body.value !== 'string')
        throw badParameter('Property value is required and must be a string.');
      const attrs = readAttributes(body.attributes);
      const t = nowSec();
      /** @type {Version} */
      const v = {
        version: randomBytes(16).toString('hex'),
        seq: ++seq,
        value: body.value,
        enabled: attrs.enabled ?? true,
        created: t,
        updated: t,
      };
      const contentType = readContentType(body.contentType);
      if (contentType !== undefined) v.contentType = contentType;
      const tags = readTags(body.tags);
      if (tags !== undefined) v.tags = tags;
      if (attrs.nbf != null) v.nbf = attrs.nbf;
      if (attrs.exp != null) v.exp = attrs.exp;
      let s = live.get(key);
      if (!s) {
        s = { name, versions: [] };
        live.set(key, s);
      }
      s.versions.push(v);
      return bundle(s, v, { value: true });
    },

    /** GetSecret: 403 Forbidden/SecretDisabled on a disabled version, 404 SecretNotFound otherwise. */
    get(/** @type {string} */ name, /** @type {string} */ version) {
      const s = liveSecret(name);
      const v = findVersion(s, version);
      if (!v.enabled) {
        throw new KvError(
          403,
          'Forbidden',
          'Operation get is not allowed on a disabled secret.',
          'SecretDisabled',
        );
      }
      return bundle(s, v, { value: true });
    },

    /** UpdateSecret: contentType, tags (replaced when given), attributes; no value in the response. */
    update(
      /** @type {string} */ name,
      /** @type {string} */ version,
      /** @type {Record<string, unknown>} */ body,
    ) {
      const s = liveSecret(name);
      const v = findVersion(s, version);
      const attrs = readAttributes(body.attributes);
      const contentType = readContentType(body.contentType);
      const tags = readTags(body.tags);
      if (attrs.enabled !== undefined) v.enabled = attrs.enabled;
      for (const k of /** @type {const} */ (['nbf', 'exp'])) {
        if (attrs[k] === null) delete v[k];
        else if (attrs[k] !== undefined) v[k] = /** @type {number} */ (attrs[k]);
      }
      if (contentType !== undefined) v.contentType = contentType;
      if (tags !== undefined) v.tags = tags;
      v.updated = nowSec();
      return bundle(s, v);
    },

    /** DeleteSecret: whole secret (all versions) goes to the deleted-secrets collection. */
    delete(/** @type {string} */ name) {
      const s = liveSecret(name);
      const key = s.name.toLowerCase();
      const t = nowSec();
      /** @type {Deleted} */
      const d = { secret: s, deletedDate: t, scheduledPurgeDate: t + RECOVERABLE_DAYS * 86400 };
      live.delete(key);
      deleted.set(key, d);
      return deletedBundle(d, false);
    },

    /** @param {string} name */
    deletedEntry(name) {
      const d = deleted.get(checkName(name).toLowerCase());
      if (!d) throw new KvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
      return d;
    },

    getDeleted(/** @type {string} */ name) {
      return deletedBundle(this.deletedEntry(name), false);
    },

    /** RecoverDeletedSecret: back to live; returns the latest version's SecretBundle (no value). */
    recover(/** @type {string} */ name) {
      const d = this.deletedEntry(name);
      const key = d.secret.name.toLowerCase();
      deleted.delete(key);
      live.set(key, d.secret);
      return bundle(d.secret, /** @type {Version} */ (d.secret.versions.at(-1)));
    },

    purge(/** @type {string} */ name) {
      const d = this.deletedEntry(name);
      deleted.delete(d.secret.name.toLowerCase());
    },

    /** SecretItems of all live secrets (latest version's attributes), ordered by lower-cased name. */
    listSecrets() {
      return [...live.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, s]) => ({
          key,
          item: bundle(s, /** @type {Version} */ (s.versions.at(-1)), { item: true }),
        }));
    },

    /** SecretItems of every version of one secret (creation order); unknown name = empty list. */
    listVersions(/** @type {string} */ name) {
      const s = live.get(checkName(name).toLowerCase());
      if (!s) return [];
      return s.versions.map((v) => ({ key: String(v.seq).padStart(12, '0'), item: bundle(s, v) }));
    },

    /**
     * Lowkey Vault's time shift: move every timestamp of the matching secrets `seconds` into the past
     * (each version's created, updated, nbf, exp; a soft-deleted secret's deletedDate and scheduledPurgeDate
     * too), then purge soft-deleted secrets whose scheduledPurgeDate has now passed, as Lowkey does.
     * `namePrefix` (case-insensitive, '' = all) is this fake's extension; Lowkey shifts a whole vault.
     */
    timeShift(/** @type {number} */ seconds, /** @type {string} */ namePrefix = '') {
      if (!Number.isSafeInteger(seconds) || seconds <= 0) throw badParameter('Offset must be positive.');
      const prefix = namePrefix.toLowerCase();
      const shiftVersions = (/** @type {Secret} */ s) => {
        for (const v of s.versions) {
          v.created -= seconds;
          v.updated -= seconds;
          if (v.nbf !== undefined) v.nbf -= seconds;
          if (v.exp !== undefined) v.exp -= seconds;
        }
        return s.versions.length;
      };
      const out = { secrets: 0, versions: 0, deletedSecrets: 0, purged: 0 };
      for (const [key, s] of live) {
        if (!key.startsWith(prefix)) continue;
        out.secrets += 1;
        out.versions += shiftVersions(s);
      }
      const t = nowSec();
      for (const [key, d] of deleted) {
        if (!key.startsWith(prefix)) continue;
        out.deletedSecrets += 1;
        out.versions += shiftVersions(d.secret);
        d.deletedDate -= seconds;
        d.scheduledPurgeDate -= seconds;
        if (d.scheduledPurgeDate < t) {
          deleted.delete(key);
          out.purged += 1;
        }
      }
      return out;
    },

    /** DeletedSecretItems, ordered by lower-cased name. */
    listDeleted() {
      return [...deleted.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, d]) => ({ key, item: deletedBundle(d, true) }));
    },
  };
}

/** @typedef {ReturnType<typeof createStore>} Store */
