import { renderTable } from '../lib/text.js';
import type { LineageRecord } from '../store/types.js';

const short = (s: string | undefined, n = 12) => (s ? (s.length > n ? `${s.slice(0, n)}…` : s) : '-');

export function lineageTable(records: readonly LineageRecord[]): string {
  return renderTable(
    [
      '#',
      'WHEN',
      'OLD VERSION(S) REVOKED',
      'NEW VERSION',
      'REQUESTER',
      'APPROVERS',
      'EXECUTOR',
      'PROOF',
      'REASON',
    ],
    records.map((r, i) => [
      String(i + 1),
      r.createdAt,
      r.oldVersions.map((v) => `${short(v.versionId, 20)} @${v.revokedAt ?? '?'}`).join(', ') || '-',
      r.newVersion ? `${short(r.newVersion.versionId, 20)} (${short(r.newVersion.fingerprint, 24)})` : '-',
      r.requester,
      r.breakGlass ? '(break-glass)' : r.approvers.join(',') || '-',
      r.executor,
      short(r.proofRef, 40),
      r.reason,
    ]),
  );
}

/** A Mermaid flowchart: each version a node, each recovery an edge labelled with who and why. */
export function lineageMermaid(ref: string, records: readonly LineageRecord[]): string {
  const id = (v: string) => `v_${v.replace(/[^A-Za-z0-9]/g, '_')}`;
  const esc = (s: string) => s.replace(/["<>]/g, "'").replace(/[\r\n]/g, ' ');
  const lines = ['flowchart LR', `  %% lineage of ${esc(ref)}`];
  for (const r of records) {
    if (!r.newVersion) continue;
    const approved = r.breakGlass ? 'BREAK-GLASS' : `approved by ${r.approvers.join(', ') || '-'}`;
    lines.push(
      `  ${id(r.newVersion.versionId)}["${esc(r.newVersion.versionId)}<br/>issued ${esc(r.newVersion.issuedAt)}"]`,
    );
    for (const old of r.oldVersions) {
      lines.push(`  ${id(old.versionId)}["${esc(old.versionId)}<br/>revoked ${esc(old.revokedAt ?? '?')}"]`);
      lines.push(
        `  ${id(old.versionId)} -->|"${esc(r.requester)} asked; ${esc(approved)}; ${esc(r.executor)} ran<br/>${esc(r.reason)}"| ${id(r.newVersion.versionId)}`,
      );
    }
  }
  return lines.join('\n');
}
