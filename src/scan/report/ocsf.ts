/**
 * OCSF 1.5.0 Detection Findings (class 2004, category 2 Findings), one JSON object per line
 * (docs/adr/055-sarif-ocsf.md): what log shippers, SIEM HTTP collectors and the Firehose
 * route into Amazon Security Lake take as one event per line, streamed in constant memory.
 * `jq -s .` turns it into the JSON array some importers (and Prowler's json-ocsf) use.
 * - finding_info.uid is the finding id (SHA-256 of type NUL ref): stable across scans, so a
 *   SIEM updates one finding instead of opening a new one each night; metadata.uid is unique
 *   per scan and finding (the event).
 * - activity: Create when this scan opened it, Update while it stays open, Close when a
 *   person acknowledged it (status Resolved, who and why in status_detail).
 */
import type { Severity } from '../../config/schema.js';
import { own } from '../../lib/own.js';
import { jsonLine, type ReportSink } from './escape.js';
import { findingDoc } from './finding-docs.js';
import type { ReportFinding, ReportHeader, ReportSource } from './model.js';
import { splitRef } from './sarif.js';
import { toolInfo } from './tool.js';

export const OCSF_VERSION = '1.5.0';
export const DETECTION_FINDING = 2004;

const SEVERITY: Readonly<Record<Severity, { id: number; name: string }>> = {
  info: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

const ACTIVITY = {
  create: { id: 1, name: 'Create' },
  update: { id: 2, name: 'Update' },
  close: { id: 3, name: 'Close' },
} as const;

const ms = (iso: string) => Date.parse(iso);

export function ocsfFinding(h: ReportHeader, f: ReportFinding): Record<string, unknown> {
  const tool = toolInfo();
  const doc = findingDoc(f.type);
  const severity = own(SEVERITY, f.severity) ?? { id: 0, name: 'Unknown' };
  const activity = f.acknowledged ? ACTIVITY.close : f.isNew ? ACTIVITY.create : ACTIVITY.update;
  const { instance, kind, locator } = splitRef(f.ref);
  const providerType = own(h.scan.providerTypes, instance);
  const tier = typeof f.evidence.tier === 'string' ? f.evidence.tier : undefined;
  const ack = f.acknowledged;
  return {
    activity_id: activity.id,
    activity_name: activity.name,
    category_uid: 2,
    category_name: 'Findings',
    class_uid: DETECTION_FINDING,
    class_name: 'Detection Finding',
    type_uid: DETECTION_FINDING * 100 + activity.id,
    type_name: `Detection Finding: ${activity.name}`,
    severity_id: severity.id,
    severity: severity.name,
    // Nobody triages an open finding inside nhi, so it stays New until a person closes it.
    status_id: ack ? 4 : 1,
    status: ack ? 'Resolved' : 'New',
    ...(ack
      ? {
          status_detail: `acknowledged by ${ack.by}${ack.signed ? ' (signed)' : ''} at ${ack.at}: ${ack.reason}`,
        }
      : {}),
    time: ms(f.lastSeen),
    message: f.summary,
    finding_info: {
      uid: f.id,
      title: doc.title,
      desc: doc.description,
      types: [f.type],
      analytic: { uid: f.type, name: doc.name, type_id: 1, type: 'Rule' },
      created_time: ms(f.firstSeen),
      first_seen_time: ms(f.firstSeen),
      last_seen_time: ms(f.lastSeen),
      modified_time: ms(f.lastSeen),
    },
    metadata: {
      version: OCSF_VERSION,
      product: { name: tool.name, vendor_name: tool.name, version: tool.version },
      uid: `${h.scan.id}/${f.id}`,
      log_name: 'nhi scan',
      event_code: f.type,
    },
    resources: [
      {
        uid: f.ref,
        name: locator,
        type: providerType ? `${providerType}:${kind}` : kind,
        group: { name: instance },
        ...(f.owners[0] ? { owner: { name: f.owners[0] } } : {}),
        labels: [...f.owners.map((o) => `owner:${o}`), ...(tier ? [`tier:${tier}`] : [])],
        data: { instance, kind, ...(providerType ? { provider: providerType } : {}), owners: f.owners },
      },
    ],
    remediation: { desc: doc.remediation },
    evidences: [{ data: f.evidence }],
    unmapped: { nhi: { scanId: h.scan.id, scanStatus: h.scan.status, severity: f.severity, isNew: f.isNew } },
  };
}

export async function renderOcsf(report: ReportSource, write: ReportSink): Promise<number> {
  let n = 0;
  for await (const f of report.findings()) {
    await write(`${jsonLine(ocsfFinding(report.header, f))}\n`);
    n++;
  }
  return n;
}
