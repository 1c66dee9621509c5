import type { ConfigProblem } from '../lib/errors.js';
import type { ParsedConfig } from './schema.js';
import { isLoopbackHost, parseListen } from './web-schema.js';

/**
 * The approval page's cross-field rules: sign-in needs a listener and the reverse; a page
 * reachable beyond loopback needs TLS (here or in a proxy: an https publicUrl); the public URL is
 * an origin (the passkey relying party is its host, so a path would only mislead).
 */
export function checkWebRules(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { http, oidc } = config;
  if (oidc && !http) {
    problems.push({
      path: 'http',
      message: 'oidc is configured but http is not: the sign-in page is served by nhi serve on http.listen',
      expected: 'an http object with listen and publicUrl',
      found: 'undefined',
    });
  }
  if (!http) return problems;
  if (!oidc) {
    problems.push({
      path: 'oidc',
      message: 'http is configured but oidc is not: owners sign in to the approval page with OIDC',
      expected: 'an oidc object with issuer, clientId and clientSecret',
      found: 'undefined',
    });
  }
  const url = new URL(http.publicUrl);
  if (url.pathname !== '/' || url.search || url.hash) {
    problems.push({
      path: 'http.publicUrl',
      message: 'the public URL must be an origin (scheme, host, port) without a path',
      expected: `${url.protocol}//${url.host}`,
      found: JSON.stringify(http.publicUrl),
    });
  }
  const { host } = parseListen(http.listen);
  const exposed = !isLoopbackHost(host) || !isLoopbackHost(url.hostname);
  if (exposed && url.protocol !== 'https:') {
    problems.push({
      path: 'http.publicUrl',
      message:
        'the approval page is reachable beyond loopback, so it must be served over HTTPS (http.tls, or a TLS reverse proxy with an https publicUrl)',
      expected: 'an https:// URL',
      found: JSON.stringify(http.publicUrl),
    });
  }
  if (http.tls && url.protocol !== 'https:') {
    problems.push({
      path: 'http.publicUrl',
      message: 'http.tls is set, so the page is served over HTTPS: the public URL must say https',
      expected: 'an https:// URL',
      found: JSON.stringify(http.publicUrl),
    });
  }
  if (oidc) {
    const issuer = new URL(oidc.issuer);
    if (issuer.protocol !== 'https:' && !isLoopbackHost(issuer.hostname)) {
      problems.push({
        path: 'oidc.issuer',
        message: 'the identity provider must be reached over HTTPS (plain http only on loopback)',
        expected: 'an https:// URL',
        found: JSON.stringify(oidc.issuer),
      });
    }
  }
  return problems;
}
