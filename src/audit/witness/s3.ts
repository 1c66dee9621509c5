/**
 * The S3 witness: one object per signed checkpoint, `<prefix>/<seq, 12 digits>.json`, written
 * with an Object Lock retention (COMPLIANCE by default), so not even the bucket owner can delete
 * or overwrite it before retain-until. `nhi audit verify --witness s3://BUCKET/PREFIX` reads every
 * version back: a second version under the same key (someone re-signing history) is still seen.
 * The SDK is loaded on first use, like the providers, so other commands do not pay for it.
 */
import { createRequire } from 'node:module';
import type { AuditWitnessConfig } from '../../config/schema.js';
import { parseLine } from './file.js';
import type { WitnessRecord } from './record.js';
import { type Witness, WitnessError, type WitnessSource } from './types.js';

type S3WitnessConfig = Extract<AuditWitnessConfig, { type: 's3' }>;
export type AwsCredentialConfig = NonNullable<S3WitnessConfig['credentials']>;

/** Where and as whom to reach S3: an aws provider instance's settings, or the witness's own. */
export interface S3Connection {
  region: string;
  endpoint?: string;
  credentials: AwsCredentialConfig;
}

interface S3Like {
  send(command: object): Promise<unknown>;
}

/**
 * @aws-sdk/client-s3 on first use, with require: an ESM import of the CommonJS SDK makes Node lex
 * its sources first (tens of ms of CPU, as for the provider's SDKs: providers/aws/sdk.ts).
 */
const s3Sdk = (): typeof import('@aws-sdk/client-s3') => createRequire(import.meta.url)('@aws-sdk/client-s3');

async function s3Client(conn: S3Connection): Promise<S3Like> {
  const { S3Client } = s3Sdk();
  const creds = conn.credentials;
  return new S3Client({
    region: conn.region,
    maxAttempts: 2,
    // A local endpoint (moto, MinIO) has no per-bucket DNS names.
    ...(conn.endpoint ? { endpoint: conn.endpoint, forcePathStyle: true } : {}),
    ...(creds.method === 'static'
      ? {
          credentials: async () => ({
            accessKeyId: creds.accessKeyId,
            secretAccessKey: creds.secretAccessKey.reveal(),
            ...(creds.sessionToken ? { sessionToken: creds.sessionToken.reveal() } : {}),
          }),
        }
      : creds.profile
        ? { profile: creds.profile }
        : {}),
  });
}

export function objectKey(prefix: string, seq: number): string {
  const base = prefix.replace(/^\/+|\/+$/g, '');
  return `${base ? `${base}/` : ''}${String(seq).padStart(12, '0')}.json`;
}

/** Name and HTTP status of an SDK error; AWS messages (and a hostile endpoint's bodies) stay out. */
function s3Failure(operation: string, error: unknown): WitnessError {
  const e = error as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  const generic = typeof e?.name !== 'string' || e.name === 'Error';
  const name = generic && typeof e?.code === 'string' ? e.code : String(e?.name ?? 'error');
  const status = e?.$metadata?.httpStatusCode;
  return new WitnessError(
    `s3 ${operation} failed: ${name.slice(0, 80)}${status ? ` (HTTP ${status})` : ''}`,
    {
      cause: error,
    },
  );
}

export function s3Witness(config: S3WitnessConfig, conn: S3Connection, now: () => Date): Witness {
  let client: Promise<S3Like> | undefined;
  return {
    name: config.name,
    type: 's3',
    async deliver(record: WitnessRecord) {
      const { PutObjectCommand } = s3Sdk();
      client ??= s3Client(conn);
      const retainUntil = new Date(now().getTime() + config.retainDays * 86_400_000);
      try {
        await (await client).send(
          new PutObjectCommand({
            Bucket: config.bucket,
            Key: objectKey(config.prefix, record.seq),
            Body: JSON.stringify(record),
            ContentType: 'application/json',
            ObjectLockMode: config.lockMode,
            ObjectLockRetainUntilDate: retainUntil,
          }),
        );
      } catch (error) {
        throw s3Failure('PutObject', error);
      }
    },
  };
}

const KEY = /\/?\d{12}\.json$/;
const PARALLEL_GETS = 8;

export function s3WitnessSource(
  label: string,
  location: { bucket: string; prefix: string },
  conn: S3Connection,
): WitnessSource {
  return {
    label,
    async *records() {
      const { GetObjectCommand, ListObjectVersionsCommand } = s3Sdk();
      const client = await s3Client(conn);
      const base = location.prefix.replace(/^\/+|\/+$/g, '');
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      for (;;) {
        let page: {
          Versions?: { Key?: string; VersionId?: string }[];
          IsTruncated?: boolean;
          NextKeyMarker?: string;
          NextVersionIdMarker?: string;
        };
        try {
          page = (await client.send(
            new ListObjectVersionsCommand({
              Bucket: location.bucket,
              ...(base ? { Prefix: `${base}/` } : {}),
              ...(keyMarker ? { KeyMarker: keyMarker } : {}),
              ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
            }),
          )) as typeof page;
        } catch (error) {
          throw s3Failure('ListObjectVersions', error);
        }
        const versions = (page.Versions ?? []).filter((v) => v.Key && KEY.test(v.Key));
        for (let i = 0; i < versions.length; i += PARALLEL_GETS) {
          const bodies = await Promise.all(
            versions.slice(i, i + PARALLEL_GETS).map(async (v) => {
              try {
                const got = (await client.send(
                  new GetObjectCommand({
                    Bucket: location.bucket,
                    Key: v.Key,
                    ...(v.VersionId && v.VersionId !== 'null' ? { VersionId: v.VersionId } : {}),
                  }),
                )) as { Body?: { transformToString(): Promise<string> } };
                return (await got.Body?.transformToString()) ?? '';
              } catch (error) {
                throw s3Failure('GetObject', error);
              }
            }),
          );
          for (const body of bodies) yield parseLine(body);
        }
        if (!page.IsTruncated) return;
        // A truncated page without a marker would repeat itself forever.
        if (!page.NextKeyMarker && !page.NextVersionIdMarker)
          throw new WitnessError('s3 ListObjectVersions: truncated page without a next marker');
        keyMarker = page.NextKeyMarker;
        versionMarker = page.NextVersionIdMarker;
      }
    },
  };
}
