import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SecretValue } from './secret.js';

/** HMAC-SHA256 of a secret keyed by `keys.fingerprint`: the only form in which a secret is ever stored. */
export type Fingerprinter = (value: string | SecretValue) => string;

export function createFingerprinter(key: SecretValue): Fingerprinter {
  const keyBytes = Buffer.from(key.reveal(), 'utf8');
  return (value) => {
    const raw = typeof value === 'string' ? value : value.reveal();
    return `hmac-sha256:${createHmac('sha256', keyBytes).update(raw, 'utf8').digest('hex')}`;
  };
}

export function sameFingerprint(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
