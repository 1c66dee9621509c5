/**
 * Keys owners already have: real `ssh-keygen` keys and `ssh-keygen -Y sign` signatures.
 * The security-key case cannot use a token here, so its signature is assembled by the test
 * from PROTOCOL.u2f with an Ed25519 key standing in for the token's.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSshPublicKeyLine, SK_SSH_ED25519 } from '../../src/approval/signing/ssh-key.js';
import { sshString } from '../../src/approval/signing/ssh-wire.js';
import { SSHSIG_NAMESPACE, sshSigSignedData, verifySshSig } from '../../src/approval/signing/sshsig.js';
import { privateKeyFromPem, publicKeyFrom, signBytes, verifyBytes } from '../../src/audit/keys.js';
import { SecretValue } from '../../src/lib/secret.js';

const dir = mkdtempSync(join(tmpdir(), 'nhi-ssh-'));

function sshKeygen(name: string, passphrase = ''): { priv: string; pub: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', `${name}@test`, '-f', file]);
  return { priv: file, pub: readFileSync(`${file}.pub`, 'utf8') };
}

function sshSign(keyFile: string, message: string, namespace = SSHSIG_NAMESPACE): string {
  const msg = join(dir, `msg-${Math.random().toString(36).slice(2)}`);
  writeFileSync(msg, message);
  execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', namespace, '-f', keyFile, msg]);
  return readFileSync(`${msg}.sig`, 'utf8');
}

const PAYLOAD = '{"decision":"approve","kind":"nhi-approval","planDigest":"sha256:ab","principal":"alice"}';

describe('OpenSSH keys', () => {
  const alice = sshKeygen('alice');

  it('an ssh-ed25519 line registers the same Ed25519 key the private key file holds', () => {
    const registered = publicKeyFrom(alice.pub, dir, 'owners.principals.alice.publicKey');
    const priv = privateKeyFromPem(new SecretValue(readFileSync(alice.priv, 'utf8')), '--key');
    expect(verifyBytes(registered, PAYLOAD, signBytes(priv, PAYLOAD))).toBe(true);
    expect(createPublicKey(priv).export({ format: 'jwk' })).toEqual(registered.export({ format: 'jwk' }));
  });

  it('a passphrase-protected key is refused with the way to sign instead, never its bytes', () => {
    const locked = sshKeygen('locked', 'correct horse');
    const text = readFileSync(locked.priv, 'utf8');
    let message = '';
    try {
      privateKeyFromPem(new SecretValue(text), '--key');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('passphrase-protected');
    expect(message).toContain('ssh-keygen -Y sign');
    expect(message).not.toContain(text.split('\n')[1]?.slice(0, 20));
  });

  it('rejects other key types and a key line whose blob disagrees with its type', () => {
    expect(() => publicKeyFrom('ssh-rsa AAAAB3NzaC1yc2E= x', dir, 'k')).toThrow(/ssh-rsa is not supported/);
    const blob = alice.pub.split(' ')[1];
    expect(() => parseSshPublicKeyLine(`${SK_SSH_ED25519} ${blob}`)).toThrow(/says sk-ssh-ed25519/);
  });
});

describe('ssh-keygen -Y sign signatures', () => {
  const alice = sshKeygen('alice-sig');
  const mallory = sshKeygen('mallory-sig');
  const registered = parseSshPublicKeyLine(alice.pub);

  it('verifies a real signature over the exact payload', () => {
    expect(verifySshSig(sshSign(alice.priv, PAYLOAD), PAYLOAD, registered)).toMatchObject({ ok: true });
  });

  it.each([
    [
      'another payload',
      () => verifySshSig(sshSign(alice.priv, PAYLOAD), `${PAYLOAD} `, registered),
      /does not verify/,
    ],
    [
      'another namespace',
      () => verifySshSig(sshSign(alice.priv, PAYLOAD, 'git'), PAYLOAD, registered),
      /namespace "git"/,
    ],
    [
      'another key',
      () => verifySshSig(sshSign(mallory.priv, PAYLOAD), PAYLOAD, registered),
      /another SSH key/,
    ],
    ['not a signature', () => verifySshSig('hello', PAYLOAD, registered), /not an SSH signature/],
  ])('refuses %s', (_what, check, reason) => {
    const result = check();
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });
});

describe('FIDO security keys (sk-ssh-ed25519)', () => {
  // A stand-in for the token: an Ed25519 key, wrapped as PROTOCOL.u2f describes.
  const token = generateKeyPairSync('ed25519');
  const raw = Buffer.from(token.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const application = 'ssh:';
  const keyBlob = Buffer.concat([sshString(SK_SSH_ED25519), sshString(raw), sshString(application)]);
  const registered = parseSshPublicKeyLine(`${SK_SSH_ED25519} ${keyBlob.toString('base64')} yubikey`);

  function skSign(message: string, flags: number, app = application): string {
    const data = sshSigSignedData(Buffer.from(message), SSHSIG_NAMESPACE, 'sha512');
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(7);
    const signed = Buffer.concat([
      createHash('sha256').update(app).digest(),
      Buffer.from([flags]),
      counter,
      createHash('sha256').update(data).digest(),
    ]);
    const sigBlob = Buffer.concat([
      sshString(SK_SSH_ED25519),
      sshString(sign(null, signed, token.privateKey)),
      Buffer.from([flags]),
      counter,
    ]);
    const version = Buffer.alloc(4);
    version.writeUInt32BE(1);
    const body = Buffer.concat([
      Buffer.from('SSHSIG'),
      version,
      sshString(keyBlob),
      sshString(SSHSIG_NAMESPACE),
      sshString(''),
      sshString('sha512'),
      sshString(sigBlob),
    ]);
    return `-----BEGIN SSH SIGNATURE-----\n${body.toString('base64')}\n-----END SSH SIGNATURE-----\n`;
  }

  it('verifies a touched signature and refuses one made without user presence or for another application', () => {
    expect(verifySshSig(skSign(PAYLOAD, 0x01), PAYLOAD, registered)).toMatchObject({ ok: true });
    expect(verifySshSig(skSign(PAYLOAD, 0x00), PAYLOAD, registered)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('user presence'),
    });
    expect(verifySshSig(skSign(PAYLOAD, 0x01, 'ssh:other'), PAYLOAD, registered)).toMatchObject({
      ok: false,
    });
  });
});
