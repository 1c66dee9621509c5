/**
 * From config to witnesses (delivery), and from a `--witness SOURCE` argument to something
 * `nhi audit verify` can read back.
 */
import { resolve } from 'node:path';
import { type Config, configRelative } from '../../config/load.js';
import type { AuditWitnessConfig } from '../../config/schema.js';
import { ConfigError, UsageError } from '../../lib/errors.js';
import { own } from '../../lib/own.js';
import { fileWitness, fileWitnessSource } from './file.js';
import { type S3Connection, s3Witness, s3WitnessSource } from './s3.js';
import type { Witness, WitnessSource } from './types.js';
import { urlWitnessSource, webhookWitness } from './webhook.js';

type S3WitnessConfig = Extract<AuditWitnessConfig, { type: 's3' }>;

export const WITNESS_SOURCE_SYNTAX =
  'file:PATH | s3://BUCKET/PREFIX[?aws=INSTANCE] | http(s)://URL of a receiver log | NAME of a configured file or s3 witness';

export function buildWitnesses(config: Config, now: () => Date): Witness[] {
  return config.audit.witnesses.map((w) => witnessFor(w, config, now));
}

function witnessFor(w: AuditWitnessConfig, config: Config, now: () => Date): Witness {
  switch (w.type) {
    case 'file':
      return fileWitness(w.name, configRelative(config, w.path));
    case 'webhook':
      return webhookWitness(w.name, { url: w.url, secret: w.secret, timeoutMs: w.timeoutMs }, { now });
    case 's3':
      return s3Witness(w, s3ConnectionFor(w, config), now);
  }
}

/** An aws provider instance's region, endpoint and credentials, or the witness's own. */
function s3ConnectionFor(
  w: Pick<S3WitnessConfig, 'name' | 'aws' | 'region' | 'endpoint' | 'credentials'>,
  config: Config,
): S3Connection {
  if (w.aws !== undefined) return awsInstanceConnection(w.aws, config);
  if (!w.region || !w.credentials)
    throw new ConfigError(`audit witness "${w.name}": needs "aws" or "region" and "credentials"`);
  return { region: w.region, credentials: w.credentials, ...(w.endpoint ? { endpoint: w.endpoint } : {}) };
}

function awsInstanceConnection(instance: string, config: Config): S3Connection {
  const p = own(config.providers, instance);
  if (p?.type !== 'aws') throw new UsageError(`"${instance}" is not an aws provider instance in the config`);
  return { region: p.region, credentials: p.credentials, ...(p.endpoint ? { endpoint: p.endpoint } : {}) };
}

const S3_SOURCE =
  /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/([^?]*))?(?:\?aws=([a-z][a-z0-9-]{0,62}))?$/;

/**
 * Parse a `--witness` argument. For `s3://BUCKET/PREFIX` the connection comes from
 * `?aws=INSTANCE`, else from a configured s3 witness on that bucket, else from the only aws
 * provider instance; anything else is a usage error naming the choices.
 */
export function witnessSourceFrom(spec: string, config: Config, cwd = process.cwd()): WitnessSource {
  if (spec.startsWith('file:') && spec.length > 5) {
    const path = resolve(cwd, spec.slice(5));
    return fileWitnessSource(`file:${path}`, path);
  }
  if (/^https?:\/\//.test(spec)) return urlWitnessSource(spec);
  const s3 = S3_SOURCE.exec(spec);
  if (s3) {
    const bucket = s3[1] as string;
    const prefix = (s3[2] ?? '').replace(/\/+$/, '');
    return s3WitnessSource(
      `s3://${bucket}/${prefix}`,
      { bucket, prefix },
      s3SourceConnection(bucket, prefix, s3[3], config),
    );
  }
  if (spec.startsWith('s3://'))
    throw new UsageError(`--witness ${JSON.stringify(spec)}: expected s3://BUCKET/PREFIX[?aws=INSTANCE]`);
  const named = config.audit.witnesses.find((w) => w.name === spec);
  if (named?.type === 'file') {
    const path = configRelative(config, named.path);
    return fileWitnessSource(`${named.name} (file:${path})`, path);
  }
  if (named?.type === 's3') {
    return s3WitnessSource(
      `${named.name} (s3://${named.bucket}/${named.prefix})`,
      { bucket: named.bucket, prefix: named.prefix },
      s3ConnectionFor(named, config),
    );
  }
  if (named?.type === 'webhook') {
    throw new UsageError(
      `witness "${spec}" is a webhook: nhi cannot read it back; pass the log its receiver keeps (file:PATH or its URL)`,
    );
  }
  throw new UsageError(`--witness ${JSON.stringify(spec)}: expected ${WITNESS_SOURCE_SYNTAX}`);
}

function s3SourceConnection(
  bucket: string,
  prefix: string,
  aws: string | undefined,
  config: Config,
): S3Connection {
  if (aws) return awsInstanceConnection(aws, config);
  const configured = config.audit.witnesses.filter(
    (w): w is S3WitnessConfig => w.type === 's3' && w.bucket === bucket,
  );
  const match = configured.find((w) => w.prefix.replace(/^\/+|\/+$/g, '') === prefix) ?? configured[0];
  if (match) return s3ConnectionFor(match, config);
  const awsInstances = Object.entries(config.providers).filter(([, p]) => p.type === 'aws');
  if (awsInstances.length === 1)
    return awsInstanceConnection((awsInstances[0] as [string, unknown])[0], config);
  throw new UsageError(
    `--witness s3://${bucket}/${prefix}: say which aws provider instance can read it: s3://${bucket}/${prefix}?aws=INSTANCE`,
  );
}
