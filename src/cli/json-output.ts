/**
 * The `--json` documents the CLI prints. Each is one JSON object whose first field is
 * `schemaVersion`, described by docs/json/<kind>.schema.json (test/cli/json-schemas.test.ts
 * validates real output against every one). A version is bumped only when a field of that kind
 * changes meaning or goes away; adding a field is not a bump (a consumer ignores fields it does
 * not know). Versioned where they are built, and so not listed here: the scan report
 * (REPORT_SCHEMA_VERSION, docs/report-schema.md), one incident's status
 * (INCIDENT_STATUS_SCHEMA_VERSION) and the error object on stderr (exit.ts errorJson).
 *
 * A leaf module on purpose: every command imports it through context.ts.
 */
export const JSON_SCHEMA_VERSIONS = {
  init: 1,
  'config-check': 1,
  inventory: 1,
  findings: 1,
  'finding-ack': 1,
  plan: 1,
  'plan-view': 1,
  request: 1,
  'request-export': 1,
  run: 1,
  status: 1,
  'status-detail': 1,
  lineage: 1,
  decision: 1,
  'offline-decision': 1,
  'incident-plan': 1,
  'incident-request': 1,
  'incident-decision': 1,
  'incident-offline-decision': 1,
  'incident-export': 1,
  'incident-exclude': 1,
  'incident-run': 1,
  'incident-list': 1,
  'audit-verify': 1,
  'audit-export': 1,
  'db-migrate': 1,
  keygen: 1,
  'policy-sign': 1,
  'policy-show': 1,
  'passkey-confirm': 1,
  'passkey-list': 1,
  'passkey-revoke': 1,
} as const satisfies Record<string, number>;

export type JsonKind = keyof typeof JSON_SCHEMA_VERSIONS;

/** An object, never an array: a list is printed under a name ({schemaVersion, lineage: [...]}). */
export type NotArray = { readonly length?: never };

/** `value` with `schemaVersion` first. A value that carries its own schemaVersion keeps it. */
export function versioned<T extends object>(
  kind: JsonKind,
  value: T & NotArray,
): { schemaVersion: number } & T {
  if (Array.isArray(value)) throw new TypeError(`a ${kind} JSON document must be an object, not an array`);
  return { schemaVersion: JSON_SCHEMA_VERSIONS[kind], ...value };
}

/** The opening of a document streamed by hand (inventory, findings): `{"schemaVersion":N,`. */
export function versionedOpening(kind: JsonKind): string {
  return `{"schemaVersion":${JSON_SCHEMA_VERSIONS[kind]},`;
}
