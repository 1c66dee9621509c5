/**
 * Sign-in with any standards-compliant identity provider: authorization code + PKCE (S256),
 * state and nonce, via openid-client. Discovery runs at the first sign-in (and again after a
 * failure), so `nhi serve` starts while the provider is down. Plain http is allowed only for
 * a loopback issuer (config rules refuse it elsewhere).
 */
import * as client from 'openid-client';
import type { OwnerRegistry } from '../approval/owners/owner-registry.js';
import { isLoopbackHost, type OidcConfig } from '../config/web-schema.js';
import { HttpError } from './http.js';

export interface SignIn {
  /** Where to send the browser, with the values to keep for the callback. */
  begin(): Promise<{ url: string; state: string; nonce: string; codeVerifier: string }>;
  /** The principal the provider vouches for, or an HttpError 403 naming why not. */
  finish(currentUrl: URL, login: { state: string; nonce: string; codeVerifier: string }): Promise<string>;
}

export function createSignIn(oidc: OidcConfig, redirectUri: string, registry: OwnerRegistry): SignIn {
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    if (!discovered) {
      const issuer = new URL(oidc.issuer);
      discovered = client.discovery(issuer, oidc.clientId, oidc.clientSecret.reveal(), undefined, {
        ...(issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname)
          ? { execute: [client.allowInsecureRequests] }
          : {}),
      });
      discovered.catch(() => {
        discovered = undefined;
      });
    }
    return discovered;
  };
  return {
    async begin() {
      const config = await configuration().catch((error: unknown) => {
        // The provider's error text can echo request details; say only what failed.
        throw new HttpError(
          502,
          `the identity provider ${oidc.issuer} cannot be reached (${(error as Error).name})`,
        );
      });
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: oidc.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url: url.href, state, nonce, codeVerifier };
    },
    async finish(currentUrl, login) {
      const config = await configuration();
      let claims: Record<string, unknown> | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: login.codeVerifier,
          expectedState: login.state,
          expectedNonce: login.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims() as Record<string, unknown> | undefined;
        // Providers that follow OIDC Core 5.4 strictly put scope claims (email) only in UserInfo.
        if (claims && claims[oidc.principalClaim] === undefined && typeof claims.sub === 'string') {
          const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
          claims = { ...info, ...claims, [oidc.principalClaim]: info[oidc.principalClaim] };
          if (oidc.principalClaim === 'email') claims.email_verified = info.email_verified;
        }
      } catch (error) {
        throw new HttpError(401, `sign-in failed at the identity provider (${(error as Error).name})`);
      }
      if (!claims) throw new HttpError(401, 'the identity provider returned no ID token');
      return principalFor(claims, oidc, registry);
    },
  };
}

/** The owner-registry principal a verified ID token names (by `principalClaim`), or 403. */
export function principalFor(
  claims: Record<string, unknown>,
  oidc: OidcConfig,
  registry: OwnerRegistry,
): string {
  const value = claims[oidc.principalClaim];
  if (typeof value !== 'string' || value === '') {
    throw new HttpError(403, `the identity provider's token has no "${oidc.principalClaim}" claim`);
  }
  if (oidc.principalClaim === 'email' && claims.email_verified === false) {
    throw new HttpError(403, 'the identity provider has not verified this email address');
  }
  const names = registry.names();
  const match =
    oidc.principalMatch === 'name'
      ? names.find((n) => n === value)
      : names.find((n) => registry.principal(n)?.email?.toLowerCase() === value.toLowerCase());
  if (!match) {
    throw new HttpError(
      403,
      `${value} is not a principal of the owner registry, so it cannot decide requests here`,
    );
  }
  return match;
}
