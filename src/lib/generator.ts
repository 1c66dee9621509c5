import { randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';
import { SecretValue } from './secret.js';

/** How a new secret value is made. Runbooks name one; providers call generateSecret. */
export const generatorSpecSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('password'),
    length: z.number().int().min(16).max(4096).default(40),
    /** Character classes to draw from. Symbols are off by default: many consumers mangle them. */
    symbols: z.boolean().default(false),
  }),
  z.object({ type: z.literal('hex'), bytes: z.number().int().min(16).max(1024).default(32) }),
  z.object({ type: z.literal('base64'), bytes: z.number().int().min(16).max(1024).default(32) }),
  /** The provider makes the credential itself (AppRole secret-id, token, IAM access key). */
  z.object({ type: z.literal('provider') }),
]);
export type GeneratorSpec = z.infer<typeof generatorSpecSchema>;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SYMBOLS = '!#%+-.:=@^_~';

export function generateSecret(spec: GeneratorSpec): SecretValue {
  switch (spec.type) {
    case 'password': {
      const alphabet = spec.symbols ? ALNUM + SYMBOLS : ALNUM;
      let out = '';
      for (let i = 0; i < spec.length; i++) out += alphabet[randomInt(alphabet.length)];
      return new SecretValue(out);
    }
    case 'hex':
      return new SecretValue(randomBytes(spec.bytes).toString('hex'));
    case 'base64':
      return new SecretValue(randomBytes(spec.bytes).toString('base64url'));
    case 'provider':
      throw new TypeError('generator "provider" is produced by the provider, not generated locally');
  }
}
