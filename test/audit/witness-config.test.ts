/** Config `audit`: defaults, and the cross-field rules for witnesses (names, how an s3 witness reaches AWS). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/lib/errors.js';
import { exampleCopy } from '../example-config.js';

const { config: EXAMPLE_PATH } = exampleCopy();
const withAudit = (audit: unknown) => ({ ...JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8')), audit });
const parse = (raw: unknown) => parseConfig(raw, { sourcePath: EXAMPLE_PATH, env: { HMAC: 'witness-hmac' } });
const problems = (raw: unknown) => {
  try {
    parse(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('config audit', () => {
  it('defaults to a checkpoint every 100 entries and no witnesses', () => {
    const config = parse(JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8')));
    expect(config.audit).toEqual({ checkpointEvery: 100, witnesses: [] });
  });

  it('accepts file, webhook and s3 witnesses with their defaults', () => {
    const config = parse(
      withAudit({
        checkpointEvery: 500,
        witnesses: [
          { type: 'file', name: 'worm', path: '/mnt/worm/nhi.jsonl' },
          { type: 'webhook', name: 'siem', url: 'https://siem.example/cp', secret: 'env:HMAC' },
          { type: 's3', name: 'locked', bucket: 'acme-nhi-audit', aws: 'aws-prod' },
        ],
      }),
    );
    expect(config.audit.checkpointEvery).toBe(500);
    expect(config.audit.witnesses[2]).toMatchObject({
      prefix: 'nhi-audit',
      lockMode: 'COMPLIANCE',
      retainDays: 365,
    });
    expect(config.audit.witnesses[1]).toMatchObject({ timeoutMs: 5000 });
  });

  it('names the path of each witness problem, and never echoes a literal secret', () => {
    const found = problems(
      withAudit({
        witnesses: [
          { type: 'file', name: 'dup', path: 'a.jsonl' },
          { type: 'file', name: 'dup', path: 'b.jsonl' },
          { type: 's3', name: 'nowhere', bucket: 'acme-nhi-audit', aws: 'vault-prod' },
          { type: 's3', name: 'half', bucket: 'acme-nhi-audit', region: 'eu-west-1' },
        ],
      }),
    );
    expect(found.map((p) => p.path)).toEqual([
      'audit.witnesses[1].name',
      'audit.witnesses[2].aws',
      'audit.witnesses[3]',
    ]);
    const literal = problems(
      withAudit({
        witnesses: [{ type: 'webhook', name: 'w', url: 'https://x.example', secret: 'hunter2-literal' }],
      }),
    );
    expect(literal[0]?.path).toBe('audit.witnesses[0].secret');
    expect(JSON.stringify(literal)).not.toContain('hunter2-literal');
  });
});
