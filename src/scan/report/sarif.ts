/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF viewers (docs/adr/055-sarif-ocsf.md).
 * One rule per finding type; one result per open (or acknowledged) finding, streamed.
 * - Identity across runs: partialFingerprints["nhiFindingId/v1"] is the finding id, SHA-256 of
 *   type NUL ref, so the same credential and type is the same alert in every run and on
 *   every machine, whatever its summary or severity says this time.
 * - Location: a credential is not a file. The ref is a logicalLocation (kind "resource"); and
 *   because GitHub shows no result without a repository-relative file location, the ref is
 *   also written as the path `nhi/<instance>/<kind>/<locator segments, percent-encoded>` —
 *   a documented convention, not a file in the repository.
 */
import { FINDING_TYPES, type Severity } from '../../config/schema.js';
import { own } from '../../lib/own.js';
import { BASE_SEVERITY } from '../severity.js';
import { jsonLine, type ReportSink } from './escape.js';
import { findingDoc } from './finding-docs.js';
import type { ReportFinding, ReportHeader, ReportSource } from './model.js';
import { toolInfo } from './tool.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SARIF_FINGERPRINT_KEY = 'nhiFindingId/v1';

/** GitHub draws error/warning/note; "high" and above must stop a reviewer. */
const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

const levelOf = (s: string) => own(LEVEL, s) ?? 'note';

/** `<instance>:<kind>:<locator>` split leniently: a report never throws on a stored ref. */
export function splitRef(ref: string): { instance: string; kind: string; locator: string } {
  const [instance = '', kind = '', ...rest] = ref.split(':');
  return { instance, kind, locator: rest.join(':') };
}

/**
 * The documented pseudo-path of a ref, `nhi/<instance>/<kind>/<locator>`, each locator segment
 * percent-encoded. A locator with an empty, "." or ".." segment is one encoded segment instead
 * (`a%2F%2Fb`), since viewers normalise such paths. Distinct refs give distinct paths.
 */
export function refPath(ref: string): string {
  const { instance, kind, locator } = splitRef(ref);
  const parts = locator.split('/');
  const plain = parts.every((p) => p !== '' && p !== '.' && p !== '..');
  return ['nhi', instance, kind, ...(plain ? parts : [locator])].map(encodeURIComponent).join('/');
}

function rule(type: (typeof FINDING_TYPES)[number]) {
  const doc = findingDoc(type);
  const base = BASE_SEVERITY[type];
  return {
    id: type,
    name: doc.name,
    shortDescription: { text: doc.title },
    fullDescription: { text: doc.description },
    help: {
      text: `${doc.description}\n\nWhat to do: ${doc.remediation}`,
      markdown: `**${doc.title}**\n\n${doc.description}\n\n**What to do:** ${doc.remediation}`,
    },
    defaultConfiguration: { level: LEVEL[base] },
    properties: {
      // The standard-tier severity; a privileged identity's result is one level higher (ADR 051).
      'security-severity': SECURITY_SEVERITY[base],
      severity: base,
      tags: ['security', 'non-human-identity', `owasp-nhi-2025/${doc.owaspNhi}`],
    },
  };
}

function result(f: ReportFinding) {
  const ruleIndex = (FINDING_TYPES as readonly string[]).indexOf(f.type);
  const { locator } = splitRef(f.ref);
  return {
    ruleId: f.type,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    kind: 'fail',
    level: levelOf(f.severity),
    message: { text: f.summary },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: refPath(f.ref) } },
        logicalLocations: [{ name: locator, fullyQualifiedName: f.ref, kind: 'resource' }],
      },
    ],
    partialFingerprints: { [SARIF_FINGERPRINT_KEY]: f.id },
    provenance: { firstDetectionTimeUtc: f.firstSeen, lastDetectionTimeUtc: f.lastSeen },
    ...(f.acknowledged
      ? {
          suppressions: [
            {
              kind: 'external',
              state: 'accepted',
              justification: `acknowledged by ${f.acknowledged.by}${f.acknowledged.signed ? ' (signed)' : ''} at ${f.acknowledged.at}: ${f.acknowledged.reason}`,
            },
          ],
        }
      : {}),
    properties: {
      severity: f.severity,
      'security-severity': own(SECURITY_SEVERITY, f.severity) ?? '0.0',
      ref: f.ref,
      owners: f.owners,
      status: f.status,
      isNew: f.isNew,
      evidence: f.evidence,
    },
  };
}

function runHead(h: ReportHeader) {
  const tool = toolInfo();
  return {
    tool: {
      driver: {
        name: tool.name,
        version: tool.version,
        semanticVersion: tool.version,
        rules: FINDING_TYPES.map(rule),
      },
    },
    // Category = the provider set, so a --provider subset scan never closes the alerts of the others.
    automationDetails: { id: `nhi-scan/${[...h.scan.providers].sort().join(',')}/${h.scan.id}` },
    invocations: [
      {
        executionSuccessful: h.scan.status === 'completed',
        startTimeUtc: h.scan.startedAt,
        ...(h.scan.finishedAt ? { endTimeUtc: h.scan.finishedAt } : {}),
        ...(h.scan.errors.length > 0
          ? {
              toolExecutionNotifications: h.scan.errors.map((e) => ({
                level: 'error',
                message: { text: `provider ${e.provider}: ${e.message}` },
              })),
            }
          : {}),
      },
    ],
    properties: { scanId: h.scan.id, status: h.scan.status, providers: h.scan.providers },
  };
}

export async function renderSarif(report: ReportSource, write: ReportSink): Promise<number> {
  const head = jsonLine({ $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [runHead(report.header)] });
  // Stream the results into the run: the head without its closing `}]}`, then "results":[...].
  await write(`${head.slice(0, -3)},"results":[`);
  let n = 0;
  for await (const f of report.findings()) {
    await write(`${n === 0 ? '' : ','}\n${jsonLine(result(f))}`);
    n++;
  }
  await write(`${n === 0 ? '' : '\n'}]}]}\n`);
  return n;
}
