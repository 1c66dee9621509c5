/**
 * The AWS SDK clients, loaded with `require`. They are CommonJS packages: an ESM `import` of one
 * makes Node lex its sources for their named exports before running them, which measured ~30 ms
 * of CPU for @aws-sdk/client-secrets-manager and ~60 ms for @aws-sdk/client-iam on every start
 * (issue 17, ADR 090). Each is loaded on first use and cached by Node; types stay `import type`.
 * The S3 witness (src/audit/witness/s3.ts) loads its SDK the same way: src/ does not import providers/.
 */
import { createRequire } from 'node:module';

type SecretsManagerSdk = typeof import('@aws-sdk/client-secrets-manager');
type IamSdk = typeof import('@aws-sdk/client-iam');

const load = createRequire(import.meta.url);

export const secretsManagerSdk = (): SecretsManagerSdk => load('@aws-sdk/client-secrets-manager');
export const iamSdk = (): IamSdk => load('@aws-sdk/client-iam');
