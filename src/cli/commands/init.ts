/**
 * `nhi init`: a starter config and its keys, like `gh auth login` / `terraform init` — it
 * asks on a terminal for what the flags leave out, and anywhere else takes the flags (and the
 * providers' own environment variables) or says which flag is missing. It never replaces an
 * existing file without --force, and checks nothing needs writing over before it asks.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeKeyPair } from '../../audit/keys.js';
import { loadConfig } from '../../config/load.js';
import { ConfigError, UsageError } from '../../lib/errors.js';
import { unknownValueMessage } from '../../lib/suggest.js';
import { canAsk } from '../confirm.js';
import { type CliIo, contextFor, printWarning } from '../context.js';
import { type Asker, terminalAsker } from '../init/prompt.js';
import { PROVIDER_TYPES, type ProviderType, type StarterAnswers, starterConfig } from '../init/starter.js';

interface InitOpts {
  dir?: string;
  provider?: string[];
  region?: string;
  awsProfile?: string;
  vaultAddr?: string;
  azureVaultUrl?: string;
  owner?: string;
  force?: boolean;
  yes?: boolean;
}

/** `--provider aws vault` or `--provider aws,vault`; a misspelt type gets a suggestion. */
function providerTypes(values: readonly string[]): ProviderType[] {
  const types = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
  for (const t of types) {
    if (!(PROVIDER_TYPES as readonly string[]).includes(t))
      throw new UsageError(unknownValueMessage('--provider: unknown provider type', t, PROVIDER_TYPES));
  }
  return [...new Set(types as ProviderType[])];
}

function fromEnv(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  return names.map((n) => env[n]?.trim()).find((v) => v !== undefined && v !== '');
}

/** Off a terminal every value comes from a flag or the environment; name the missing one. */
function answersFromFlags(opts: InitOpts, env: NodeJS.ProcessEnv): StarterAnswers {
  if (!opts.provider?.length)
    throw new UsageError(
      'nhi init needs --provider aws|vault|azure when it cannot ask (not a terminal, or --yes)',
    );
  const providers = providerTypes(opts.provider);
  const a: StarterAnswers = { providers, ...(opts.owner ? { owner: opts.owner } : {}) };
  if (providers.includes('aws')) {
    const region = opts.region ?? fromEnv(env, 'AWS_REGION', 'AWS_DEFAULT_REGION');
    if (!region) throw new UsageError('--provider aws needs --region (or AWS_REGION in the environment)');
    a.region = region;
    if (opts.awsProfile) a.awsProfile = opts.awsProfile;
  }
  if (providers.includes('vault')) {
    const addr = opts.vaultAddr ?? fromEnv(env, 'VAULT_ADDR');
    if (!addr) throw new UsageError('--provider vault needs --vault-addr (or VAULT_ADDR in the environment)');
    a.vaultAddr = addr;
  }
  if (providers.includes('azure')) {
    if (!opts.azureVaultUrl)
      throw new UsageError('--provider azure needs --azure-vault-url https://NAME.vault.azure.net');
    a.azureVaultUrl = opts.azureVaultUrl;
  }
  return a;
}

/** On a terminal: ask for what the flags left out, with the environment's values as defaults. */
async function askAnswers(asker: Asker, io: CliIo, opts: InitOpts): Promise<StarterAnswers> {
  const env = io.env;
  const filled: InitOpts = { ...opts };
  if (!filled.provider?.length) {
    for (;;) {
      const answer = await asker.ask('Providers to scan (aws, vault, azure; comma-separated)', 'aws');
      try {
        filled.provider = [providerTypes([answer]).join(',')];
        break;
      } catch (error) {
        printWarning(io, (error as Error).message);
      }
    }
  }
  const types = providerTypes(filled.provider ?? []);
  if (types.includes('aws') && !filled.region)
    filled.region = await asker.ask(
      'AWS region',
      fromEnv(env, 'AWS_REGION', 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    );
  if (types.includes('vault') && !filled.vaultAddr)
    filled.vaultAddr = await asker.ask(
      'Vault address',
      fromEnv(env, 'VAULT_ADDR') ?? 'https://127.0.0.1:8200',
    );
  if (types.includes('azure') && !filled.azureVaultUrl)
    filled.azureVaultUrl = await asker.ask('Azure Key Vault URL (https://NAME.vault.azure.net)');
  if (filled.owner === undefined) {
    const owner = await asker.ask('Your principal name, registered as owner with a key pair (empty: none)');
    if (owner) filled.owner = owner;
  }
  return answersFromFlags(filled, {});
}

/** Every file init writes, absolute. */
function targets(configPath: string, dir: string, owner: string | undefined) {
  return {
    config: configPath,
    fingerprint: join(dir, 'secrets', 'fingerprint.key'),
    audit: join(dir, 'keys', 'audit'),
    ...(owner ? { owner: join(dir, 'keys', owner) } : {}),
  };
}

function refuseOverwrite(t: ReturnType<typeof targets>, force: boolean): void {
  if (force) return;
  const files = [
    t.config,
    t.fingerprint,
    `${t.audit}.key`,
    `${t.audit}.pub`,
    ...(t.owner ? [`${t.owner}.key`, `${t.owner}.pub`] : []),
  ];
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0)
    throw new UsageError(
      `nhi init would overwrite ${existing.join(', ')}; nothing was written (pass --force to replace them)`,
    );
}

/** A new file only its owner can read, created exclusively ('wx'); --force removes the old one first. */
function writePrivateFile(path: string, text: string, force: boolean): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (force) rmSync(path, { force: true });
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
}

export function registerInitCommand(program: Command, io: CliIo): void {
  program
    .command('init')
    .description(
      'write a starter config (nhi.config.json) and its keys; asks on a terminal, takes flags elsewhere',
    )
    .option('--dir <dir>', 'where to write (default: the directory of --config, else the current one)')
    .option('--provider <provider...>', 'aws | vault | azure: the providers to scan (several allowed)')
    .option('--region <region>', 'aws: the region (default: $AWS_REGION or $AWS_DEFAULT_REGION)')
    .option('--aws-profile <name>', "aws: a shared-config profile (default: the SDK's default chain)")
    .option(
      '--vault-addr <url>',
      'vault: the server address (default: $VAULT_ADDR); the token is read from $VAULT_TOKEN',
    )
    .option('--azure-vault-url <url>', 'azure: the Key Vault URL, https://NAME.vault.azure.net')
    .option(
      '--owner <principal>',
      'register this principal as owner and control owner, with a key pair of its own',
    )
    .option('--force', 'replace files that already exist')
    .option('-y, --yes', 'do not ask, even on a terminal: take the flags and the environment')
    .addHelpText(
      'after',
      '\nWrites nhi.config.json (or the --config file), keys/audit.key + .pub (audit signing),\n' +
        'secrets/fingerprint.key, and with --owner keys/OWNER.key + .pub.\n' +
        '\nExamples:\n  nhi init\n  nhi init --dir /etc/nhi --provider aws --region eu-west-1 --owner alice\n' +
        '  nhi init --provider vault azure --vault-addr https://vault.example.com:8200 --azure-vault-url https://contoso.vault.azure.net',
    )
    .action(async (opts: InitOpts, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      // The --config flag names the file to write; NHI_CONFIG does not (it is where nhi reads).
      const configFlag = ctx.globals.config;
      const dir = resolve(opts.dir ?? (configFlag ? dirname(resolve(configFlag)) : '.'));
      const configPath = configFlag ? resolve(configFlag) : join(dir, 'nhi.config.json');
      const force = opts.force ?? false;
      if (opts.provider) providerTypes(opts.provider);
      refuseOverwrite(targets(configPath, dir, opts.owner), force);

      let answers: StarterAnswers;
      if (!opts.yes && !ctx.globals.json && canAsk(io)) {
        const asker = terminalAsker(io);
        try {
          answers = await askAnswers(asker, io, opts);
        } finally {
          asker.close();
        }
      } else answers = answersFromFlags(opts, io.env);

      const t = targets(configPath, dir, answers.owner);
      refuseOverwrite(t, force);
      const base = dirname(configPath);
      const rel = (p: string) => {
        const r = relative(base, p);
        return r.startsWith('..') ? p : `./${r}`;
      };
      // Built (and schema-checked) before anything is written: a bad --region writes nothing.
      const config = starterConfig(answers, {
        fingerprintKey: rel(t.fingerprint),
        auditKey: rel(`${t.audit}.key`),
        auditPub: rel(`${t.audit}.pub`),
        ...(t.owner ? { ownerPub: rel(`${t.owner}.pub`) } : {}),
      });

      writePrivateFile(t.fingerprint, `${randomBytes(32).toString('base64url')}\n`, force);
      const audit = writeKeyPair(t.audit, { force });
      const owner = t.owner ? writeKeyPair(t.owner, { force }) : undefined;
      mkdirSync(base, { recursive: true });
      if (force) rmSync(configPath, { force: true });
      writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644, flag: 'wx' });

      // What `nhi config check` would say now (VAULT_TOKEN unset is expected on a new machine).
      const problems: string[] = [];
      try {
        loadConfig(configPath, io.env);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.problems.map((p) => `${p.path}: ${p.message}`));
      }
      const written = [configPath, t.fingerprint, audit.privatePath, audit.publicPath];
      if (owner) written.push(owner.privatePath, owner.publicPath);
      for (const p of problems) printWarning(io, `config check: ${p}`);
      if (ctx.globals.json) {
        ctx.printJson('init', {
          config: configPath,
          files: written,
          auditKeyId: audit.keyId,
          ...(owner && answers.owner ? { owner: { principal: answers.owner, keyId: owner.keyId } } : {}),
          checkProblems: problems,
        });
        return;
      }
      ctx.print(`wrote ${configPath}`);
      for (const f of written.slice(1))
        ctx.print(`  ${f}${f.endsWith('.key') ? ' (mode 0600 — keep it secret)' : ''}`);
      const cfg = configFlag || dir !== process.cwd() ? ` --config ${configPath}` : '';
      ctx.print('\nNext:');
      if (answers.providers.includes('vault'))
        ctx.print('  export VAULT_TOKEN=...        # the vault provider reads it');
      ctx.print(`  nhi${cfg} config check`);
      if (owner && answers.owner) {
        ctx.print(`  nhi${cfg} policy sign --as ${answers.owner} --key ${owner.privatePath}`);
        ctx.print(`  (then keep ${owner.privatePath} with ${answers.owner}, not on the host that runs nhi)`);
      }
      ctx.print(`  nhi${cfg} scan`);
    });
}
