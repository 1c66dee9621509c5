/**
 * The approval page's config (`nhi serve`): where it listens, the URL owners reach it at, and
 * the identity provider that signs owners in. Kept apart from schema.ts so that file stays small.
 */
import { z } from 'zod';
import { httpUrlSchema, secretRefSchema } from '../lib/secret-ref.js';

const LISTEN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

const listenSchema = (example: string) =>
  z
    .string()
    .regex(LISTEN, `expected host:port, e.g. "${example}"`)
    // Only for a host:port that matched: a malformed value gets the one error above.
    .refine(
      (s) => !LISTEN.test(s) || Number(s.slice(s.lastIndexOf(':') + 1)) <= 65_535,
      'expected a port up to 65535',
    );

export const httpSchema = z
  .object({
    /** host:port to bind; loopback unless a reverse proxy or http.tls says otherwise. */
    listen: listenSchema('127.0.0.1:8787').default('127.0.0.1:8787'),
    /** The URL owners open (the passkey's relying party is its host name; no path). */
    publicUrl: httpUrlSchema,
    /** Serve HTTPS with this certificate; without it, terminate TLS in a reverse proxy. */
    tls: z
      .object({
        /** PEM certificate chain file (relative to the config file). */
        cert: z.string().min(1),
        /** PEM private key: a secret reference. */
        key: secretRefSchema,
      })
      .strict()
      .optional(),
    session: z
      .object({
        /** A session unused this long ends. */
        idleMinutes: z
          .number()
          .positive()
          .max(24 * 60)
          .default(15),
        /** A session ends this long after sign-in, used or not. */
        absoluteHours: z
          .number()
          .positive()
          .max(7 * 24)
          .default(8),
      })
      .strict()
      .default({ idleMinutes: 15, absoluteHours: 8 }),
    rateLimits: z
      .object({
        /** Sign-in attempts per client address per minute. */
        signInPerMinute: z.number().int().min(1).max(1000).default(10),
        /** Decisions (and passkey ceremonies) per principal per minute. */
        decisionsPerMinute: z.number().int().min(1).max(1000).default(20),
      })
      .strict()
      .default({ signInPerMinute: 10, decisionsPerMinute: 20 }),
  })
  .strict();

export const oidcSchema = z
  .object({
    /** The identity provider's issuer URL (its /.well-known/openid-configuration is read). */
    issuer: httpUrlSchema,
    clientId: z.string().min(1),
    /** The client secret: a secret reference, never a literal. */
    clientSecret: secretRefSchema,
    /** The ID-token claim that names the owner. */
    principalClaim: z.string().min(1).default('email'),
    /** What the claim is matched against: a principal's `email`, or its name. */
    principalMatch: z.enum(['email', 'name']).default('email'),
    scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']),
  })
  .strict();

/**
 * `nhi serve`'s operations endpoints (/healthz, /readyz, /metrics) on a listener of their own,
 * so a scraper or a load balancer's probe needs no OIDC session. Loopback by default; they
 * disclose counts and names of operations, never refs or values.
 */
export const opsSchema = z
  .object({
    listen: listenSchema('127.0.0.1:9464').default('127.0.0.1:9464'),
  })
  .strict();

export type HttpConfig = z.output<typeof httpSchema>;
export type OpsConfig = z.output<typeof opsSchema>;
export type OidcConfig = z.output<typeof oidcSchema>;

/** Loopback host names and addresses: no Secure cookie needed, no TLS demanded. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}
