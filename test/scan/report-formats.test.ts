/**
 * Issue 16 (reports): SARIF and OCSF output of the real scan pipeline over a real SQLite store
 * (the scan engine, findings, lineage, an acknowledgment, the audit log), validated against
 * the official schemas; fingerprints and finding uids stable across scans; the Markdown parsed
 * by a GFM parser as GitHub would; the HTML's tiles, trend and owner view.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { afterEach, describe, expect, it } from 'vitest';
import { FINDING_TYPES } from '../../src/config/schema.js';
import { findingId } from '../../src/scan/findings.js';
import { BASE_SEVERITY } from '../../src/scan/severity.js';
import { apps, estate, render } from './report-estate.js';
import { errorsOf, ocsfDetectionFindingValidator, sarifValidator } from './report-schemas.js';

const PKG = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

type SarifResult = {
  ruleId: string;
  level: string;
  partialFingerprints: Record<string, string>;
  locations: {
    physicalLocation: { artifactLocation: { uri: string } };
    logicalLocations: { fullyQualifiedName: string }[];
  }[];
  suppressions?: { state: string; justification: string }[];
};

describe('SARIF 2.1.0 report (nhi scan --format sarif)', () => {
  it('validates against the official schema, one rule per finding type, fingerprints stable across scans', async () => {
    const { app, provider, scan, ack } = await estate();
    const validate = sarifValidator();
    const first = JSON.parse(await render(app, await scan(), 'sarif'));
    expect(validate(first), errorsOf(validate).join('\n')).toBe(true);

    await ack('fake:secret:leaked');
    provider.put('late-orphan', { owners: [], tags: {} });
    const second = JSON.parse(await render(app, await scan(), 'sarif'));
    expect(validate(second), errorsOf(validate).join('\n')).toBe(true);

    const run = second.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'nhi-reissue', version: PKG.version });
    const rules = run.tool.driver.rules as {
      id: string;
      help: { text: string };
      defaultConfiguration: { level: string };
      properties: Record<string, string>;
    }[];
    expect(rules.map((r) => r.id)).toEqual([...FINDING_TYPES]);
    for (const r of rules) expect(r.help.text.length).toBeGreaterThan(40);
    expect(rules.find((r) => r.id === 'revoked-still-used')?.defaultConfiguration.level).toBe('error');
    expect(rules.find((r) => r.id === 'dormant')?.defaultConfiguration.level).toBe('note');
    expect(rules.find((r) => r.id === 'reenabled')?.properties['security-severity']).toBe('8.0');
    expect(BASE_SEVERITY['revoked-still-used']).toBe('critical');

    const key = (r: SarifResult) => `${r.ruleId} ${r.locations[0]?.logicalLocations[0]?.fullyQualifiedName}`;
    const prints = (doc: { runs: { results: SarifResult[] }[] }) =>
      new Map(doc.runs[0]?.results.map((r) => [key(r), r.partialFingerprints['nhiFindingId/v1']]));
    const before = prints(first);
    const after = prints(second);
    expect(before.size).toBeGreaterThanOrEqual(6);
    for (const [k, fp] of before) expect(after.get(k), k).toBe(fp);
    expect(after.get(`orphaned fake:secret:late-orphan`)).toBe(
      findingId('orphaned', 'fake:secret:late-orphan'),
    );

    const results = run.results as SarifResult[];
    const acked = results.find((r) => key(r) === 'revoked-still-used fake:secret:leaked');
    expect(acked?.suppressions?.[0]).toMatchObject({ kind: 'external', state: 'accepted' });
    expect(acked?.suppressions?.[0]?.justification).toContain('INC-7');
    const open = results.find((r) => key(r) === 'revoked-still-used fake:secret:leaked-too');
    expect(open).toMatchObject({ level: 'error' });
    expect(open?.suppressions).toBeUndefined();
    // Refs as documented pseudo-paths: percent-encoded, distinct, never a bare "<script".
    const uris = results.map((r) => r.locations[0]?.physicalLocation.artifactLocation.uri);
    expect(uris).toContain('nhi/fake/secret/%3Cscript%3Ealert(1)%3C/script%3E');
    expect(uris).toContain('nhi/fake/secret/https%3A%2F%2Fevil.example%2Flogin');
    expect(new Set(results.map(key)).size).toBe(
      new Set(uris.map((u, i) => `${results[i]?.ruleId} ${u}`)).size,
    );
    expect(run.automationDetails.id).toBe(`nhi-scan/fake/${run.properties.scanId}`);
  });
});

interface OcsfEvent {
  [key: string]: unknown;
  time: number;
  status_detail?: string;
  finding_info: { uid: string; types: string[]; first_seen_time: number };
  metadata: { uid: string };
  resources: { uid: string; labels: string[] }[];
}

describe('OCSF Detection Finding report (nhi scan --format ocsf)', () => {
  it('one finding per line, each valid against the official OCSF 1.5.0 schema; uid stable; create, update, close', async () => {
    const { app, scan, ack } = await estate();
    const validate = ocsfDetectionFindingValidator();
    const lines = (text: string) =>
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as OcsfEvent);
    const first = lines(await render(app, await scan(), 'ocsf'));
    await ack('fake:secret:leaked');
    const second = lines(await render(app, await scan(), 'ocsf'));
    for (const f of [...first, ...second]) expect(validate(f), errorsOf(validate).join('\n')).toBe(true);

    const byUid = (fs: OcsfEvent[]) => new Map(fs.map((f) => [f.finding_info.uid, f]));
    const one = byUid(first);
    const two = byUid(second);
    expect([...two.keys()].sort()).toEqual([...one.keys()].sort());
    for (const f of first) {
      expect(f).toMatchObject({
        class_uid: 2004,
        category_uid: 2,
        activity_id: 1,
        type_uid: 200401,
        status_id: 1,
      });
      expect(f.metadata).toMatchObject({
        version: '1.5.0',
        product: { name: 'nhi-reissue', version: PKG.version },
      });
    }
    const leakedId = findingId('revoked-still-used', 'fake:secret:leaked');
    expect(two.get(leakedId)).toMatchObject({
      activity_id: 3,
      type_uid: 200403,
      status_id: 4,
      status: 'Resolved',
    });
    expect(two.get(leakedId)?.status_detail).toContain('acknowledged by alice');
    const stillOpen = two.get(findingId('revoked-still-used', 'fake:secret:leaked-too'));
    expect(stillOpen).toMatchObject({ activity_id: 2, severity_id: 5, severity: 'Critical' });
    expect(stillOpen?.resources[0]).toMatchObject({
      uid: 'fake:secret:leaked-too',
      type: 'aws:secret',
      name: 'leaked-too',
    });
    expect(stillOpen?.time).toBe(Date.parse('2026-01-02T00:00:00.000Z'));
    expect(stillOpen?.finding_info.first_seen_time).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
    const priv = second.find(
      (f) => f.resources[0]?.uid === 'fake:secret:admin-key' && f.finding_info.types[0] === 'long-lived',
    );
    expect(priv).toMatchObject({ severity_id: 3 });
    expect(priv?.resources[0]?.labels).toContain('tier:privileged');
    // Event uids differ per scan; the finding uid does not.
    expect(new Set([...first, ...second].map((f) => f.metadata.uid)).size).toBe(first.length + second.length);
  });
});

describe('Markdown report for a GitHub step summary / PR comment', () => {
  it('renders as GFM with no stray escapes, no injected HTML or links, a short table and <details>', async () => {
    const { app, scan } = await estate();
    await scan();
    const md = await render(app, await scan(), 'markdown');
    const html = micromark(md, {
      allowDangerousHtml: true,
      extensions: [gfm()],
      htmlExtensions: [gfmHtml()],
    });
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).not.toMatch(/<a\s/i);
    // Code spans hold the ref exactly, with no backslash escapes.
    expect(html).toContain('<code>fake:secret:https://evil.example/login</code>');
    expect(html).toContain('<code>fake:secret:admin-key</code>');
    expect(html).not.toMatch(/<code>[^<]*\\[_*`[\]][^<]*<\/code>/);
    // A name with its own "\|" cannot be a code span in a table: plain text, one cell, exact.
    expect(html).toContain('fake:secret:pipe\\|split`tick`_x_*y*');
    for (const row of html.match(/<tr>[\s\S]*?<\/tr>/g) ?? []) {
      const cells = (row.match(/<t[dh][ >]/g) ?? []).length;
      expect([2, 3, 5, 8]).toContain(cells);
    }
    const summaryTable = html.match(/<table>[\s\S]*?<\/table>/)?.[0] ?? '';
    expect(summaryTable).toMatch(
      /<th>severity<\/th>\s*<th align="right">open<\/th>\s*<th>last 2 scans<\/th>/,
    );
    expect(md).toMatch(/<details open><summary><b>critical<\/b> \(2\)<\/summary>\n\n\| ref \| type \|/);
    expect(md).toMatch(/<details><summary><b>medium<\/b>/);
    expect(md).toMatch(/<details><summary>By owner \(\d+\)<\/summary>/);
  });
});

describe('HTML report', () => {
  it('coloured severity tiles (zero muted), trend from the store, owner view, fixed legend, no script', async () => {
    const { app, scan, ack } = await estate();
    await scan();
    await ack('fake:secret:leaked');
    await scan();
    const html = await render(app, await scan(), 'html');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).toContain('<div class="tile sev-critical"><b>1</b><span>critical</span></div>');
    expect(html).toContain('<div class="tile sev-info zero"><b>0</b><span>info</span></div>');
    expect(html).toMatch(/\.tile\.sev-critical\{background:#7b0a0a/);
    const trend = html.match(/<section id="trend">[\s\S]*?<\/section>/)?.[0] ?? '';
    expect(trend).toContain('Open findings over the last 3 scan(s)');
    expect(trend.match(/<rect [^>]*fill="#7b0a0a"><title>[^<]* critical<\/title>/g)).toHaveLength(3);
    expect(trend).toMatch(/<title>2026-01-01 00:00 UTC: 2 critical<\/title>/);
    expect(trend).toMatch(/<title>2026-01-03 00:00 UTC: 1 critical<\/title>/);
    const owners = html.match(/<section id="owners">[\s\S]*?<\/section>/)?.[0] ?? '';
    expect(owners).toContain('<td class="owner">alice</td>');
    // An owner missing from the registry is no contact: the break-glass principals are.
    expect(owners).toContain('<td class="owner">sec-oncall</td>');
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('unknown / never/unknown');
    expect(html).toContain('no date (age unknown; last use: never or no signal)');
  });
});
