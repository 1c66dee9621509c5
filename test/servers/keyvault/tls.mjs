// Self-signed certificate for the fake Azure Key Vault (CN/SAN localhost + IP 127.0.0.1), made once
// with `openssl req -x509` and reused. Test infrastructure only. Node built-ins only.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** True when the PEM exists, is valid for localhost and 127.0.0.1, and is not about to expire. */
function usable(/** @type {string} */ certPath, /** @type {string} */ keyPath) {
  if (!existsSync(certPath) || !existsSync(keyPath)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    const soon = Date.now() + 7 * 86400e3;
    return (
      Boolean(cert.checkHost('localhost')) &&
      Boolean(cert.checkIP('127.0.0.1')) &&
      Date.parse(cert.validTo) > soon
    );
  } catch {
    return false;
  }
}

/**
 * Make sure `certPath`/`keyPath` hold a usable self-signed certificate; generate one if not.
 * Also points `aliasPath` (if given) at the certificate with a relative symlink, unless it is a regular
 * file and `forceAlias` is false (a Lowkey Vault jar run writes its own certificate there).
 * @param {{ certPath: string, keyPath: string, aliasPath?: string, forceAlias?: boolean }} o
 * @returns {{ generated: boolean }}
 */
export function ensureCertificate({ certPath, keyPath, aliasPath, forceAlias = false }) {
  let generated = false;
  if (!usable(certPath, keyPath)) {
    mkdirSync(dirname(certPath), { recursive: true });
    const tmpCert = `${certPath}.tmp`;
    const tmpKey = `${keyPath}.tmp`;
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '3650',
        '-keyout',
        tmpKey,
        '-out',
        tmpCert,
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
        '-addext',
        'extendedKeyUsage=serverAuth',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    renameSync(tmpKey, keyPath);
    renameSync(tmpCert, certPath);
    generated = true;
  }
  if (aliasPath) {
    let st = null;
    try {
      st = lstatSync(aliasPath);
    } catch {
      st = null;
    }
    if (st === null || st.isSymbolicLink() || forceAlias) {
      rmSync(aliasPath, { force: true });
      const target = dirname(aliasPath) === dirname(certPath) ? basename(certPath) : certPath;
      symlinkSync(target, aliasPath);
    }
  }
  return { generated };
}

export const defaultPaths = (/** @type {string} */ serversDir) => ({
  certPath: join(serversDir, 'keyvault-ca.pem'),
  keyPath: join(serversDir, 'keyvault-key.pem'),
  aliasPath: join(serversDir, 'lowkey-ca.pem'),
});
