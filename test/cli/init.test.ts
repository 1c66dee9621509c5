/**
 * Issue 16 (CLI habits): `nhi init` writes a starter config and its keys. Off a terminal it
 * takes flags (and the providers' own environment variables); on one (a pty from script(1))
 * it asks. It never replaces a file without --force, and what it writes passes `nhi config check`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testCliMain } from '../servers/test-build.js';
import { nhi } from './child.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'nhi-init-'));
const mode = (p: string) => statSync(p).mode & 0o777;
/** The parts of a starter config the tests look at. */
interface Starter {
  keys: Record<string, string>;
  providers: Record<
    string,
    { region?: string; credentials?: unknown; address?: string; auth?: unknown; vaultUrl?: string }
  >;
  owners: { principals: Record<string, unknown> };
  policy: { controlOwners?: unknown };
}
const configOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'nhi.config.json'), 'utf8')) as Starter;

describe('nhi init off a terminal (flags)', () => {
  it('writes a config, the audit key pair and a fingerprint key that pass config check', () => {
    const dir = scratch();
    const r = nhi(['init', '--provider', 'aws', '--region', 'eu-west-1'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`wrote ${join(dir, 'nhi.config.json')}`);
    expect(mode(join(dir, 'keys', 'audit.key'))).toBe(0o600);
    expect(mode(join(dir, 'secrets', 'fingerprint.key'))).toBe(0o600);
    expect(mode(join(dir, 'keys', 'audit.pub'))).toBe(0o644);
    const config = configOf(dir);
    expect(config.providers).toEqual({
      aws: {
        type: 'aws',
        region: 'eu-west-1',
        credentials: { method: 'default' },
        kinds: ['secret', 'iam-key'],
      },
    });
    expect(config.keys).toEqual({
      fingerprint: 'file:./secrets/fingerprint.key',
      auditSigning: 'file:./keys/audit.key',
      auditPublicKey: 'file:./keys/audit.pub',
    });
    // The fingerprint key is random and is never printed.
    const fp = readFileSync(join(dir, 'secrets', 'fingerprint.key'), 'utf8').trim();
    expect(fp.length).toBeGreaterThanOrEqual(43);
    expect(r.stdout).not.toContain(fp);

    const check = nhi(['config', 'check'], { cwd: dir });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('providers: aws (aws)');
    expect(check.stderr).toBe('');
  });

  it('all three providers, an owner with a key of its own as control owner, into --dir; --json', () => {
    const cwd = scratch();
    const r = nhi(
      [
        '--json',
        'init',
        '--dir',
        'etc/nhi',
        '--provider',
        'aws,vault',
        'azure',
        '--azure-vault-url',
        'https://contoso.vault.azure.net',
        '--owner',
        'alice',
        '--aws-profile',
        'prod',
      ],
      // The providers' own variables supply what the flags leave out, as their CLIs do.
      { cwd, env: { AWS_REGION: 'eu-central-1', VAULT_ADDR: 'https://vault.example.com:8200' } },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const dir = join(cwd, 'etc', 'nhi');
    expect(out.config).toBe(join(dir, 'nhi.config.json'));
    expect(out.owner.principal).toBe('alice');
    // VAULT_TOKEN is not set in this environment: said on stderr, not an error.
    expect(out.checkProblems).toEqual([
      'providers.vault.auth.token: environment variable VAULT_TOKEN is not set',
    ]);
    expect(r.stderr).toContain('warning: config check: providers.vault.auth.token');
    const config = configOf(dir);
    expect(config.providers.aws?.region).toBe('eu-central-1');
    expect(config.providers.aws?.credentials).toEqual({ method: 'default', profile: 'prod' });
    expect(config.providers.vault?.address).toBe('https://vault.example.com:8200');
    expect(config.providers.vault?.auth).toEqual({ method: 'token', token: 'env:VAULT_TOKEN' });
    expect(config.providers.azure?.vaultUrl).toBe('https://contoso.vault.azure.net');
    expect(config.owners.principals).toEqual({ alice: { publicKey: 'file:./keys/alice.pub' } });
    expect(config.policy.controlOwners).toEqual({ principals: ['alice'], quorum: 1 });
    expect(mode(join(dir, 'keys', 'alice.key'))).toBe(0o600);

    const check = nhi(['config', 'check', '--config', 'etc/nhi/nhi.config.json'], {
      cwd,
      env: { VAULT_TOKEN: 'token-for-the-check' },
    });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('aws (aws), vault (vault), azure (azure)');
  });

  it('refuses to overwrite anything without --force, and names what exists', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'nhi.config.json'), '{"mine": true}\n');
    const r = nhi(['init', '--provider', 'aws', '--region', 'eu-west-1'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `nhi init would overwrite ${join(dir, 'nhi.config.json')}; nothing was written`,
    );
    expect(readFileSync(join(dir, 'nhi.config.json'), 'utf8')).toBe('{"mine": true}\n');
    expect(existsSync(join(dir, 'keys'))).toBe(false);

    const forced = nhi(['init', '--provider', 'aws', '--region', 'eu-west-1', '--force'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(configOf(dir).providers.aws?.region).toBe('eu-west-1');
    const before = readFileSync(join(dir, 'keys', 'audit.key'), 'utf8');
    expect(nhi(['init', '--provider', 'aws', '--region', 'eu-west-1'], { cwd: dir }).code).toBe(2);
    expect(readFileSync(join(dir, 'keys', 'audit.key'), 'utf8')).toBe(before);
  });

  it('says which flag is missing or wrong, and writes nothing', () => {
    const dir = scratch();
    const none = nhi(['init'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('nhi init needs --provider aws|vault|azure when it cannot ask');
    expect(nhi(['init', '--provider', 'aws'], { cwd: dir }).stderr).toContain(
      '--provider aws needs --region (or AWS_REGION in the environment)',
    );
    expect(nhi(['init', '--provider', 'vualt'], { cwd: dir }).stderr).toContain(
      '--provider: unknown provider type "vualt" (did you mean "vault"?); one of: aws, vault, azure',
    );
    const region = nhi(['init', '--provider', 'aws', '--region', 'Europe'], { cwd: dir });
    expect(region.code).toBe(2);
    expect(region.stderr).toContain('--region: expected an AWS region such as eu-west-1');
    expect(existsSync(join(dir, 'nhi.config.json'))).toBe(false);
    expect(existsSync(join(dir, 'keys'))).toBe(false);
  });
});

describe('nhi init on a terminal (a pty from script(1))', () => {
  function onTty(args: string[], answers: string, cwd: string) {
    const command = [process.execPath, testCliMain(), ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd,
      input: answers,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: cwd, TERM: 'dumb' },
    });
    return { code: r.status, out: r.stdout };
  }

  it('asks for what the flags leave out, with defaults, then writes a config that checks', () => {
    const dir = scratch();
    // Providers, then the Key Vault URL, then the owner (the region is asked only for aws).
    const r = onTty(['init'], 'azure\nhttps://contoso.vault.azure.net\ncarol\n', dir);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Providers to scan (aws, vault, azure; comma-separated) [aws]:');
    expect(r.out).toContain('Azure Key Vault URL (https://NAME.vault.azure.net):');
    expect(r.out).toContain('Your principal name, registered as owner with a key pair (empty: none):');
    expect(r.out).not.toContain('AWS region');
    const config = configOf(dir);
    expect(Object.keys(config.providers)).toEqual(['azure']);
    expect(config.owners.principals.carol).toEqual({ publicKey: 'file:./keys/carol.pub' });
    expect(nhi(['config', 'check'], { cwd: dir }).code).toBe(0);
  });

  it('takes the defaults on empty answers; --yes does not ask', () => {
    const dir = scratch();
    const r = onTty(['init'], '\n\n\n', dir);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('AWS region [us-east-1]:');
    expect(configOf(dir).providers.aws?.region).toBe('us-east-1');
    expect(configOf(dir).owners.principals).toEqual({});

    const yes = onTty(['init', '--yes', '--dir', 'other'], '', dir);
    expect(yes.code).toBe(2);
    expect(yes.out).toContain('nhi init needs --provider');
    expect(yes.out).not.toContain('Providers to scan');
  });
});
