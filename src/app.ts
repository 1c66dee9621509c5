/**
 * The composition root: the one place that turns a validated config into live parts
 * (logger, store, audit log, fingerprinter, providers, notifier). Everything else
 * receives what it needs as parameters.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { DestinationStream } from 'pino';
import type { AuditLog } from './audit/log.js';
import type { WitnessPublisher } from './audit/witness/publisher.js';
import { type Config, configRelative, loadConfig } from './config/load.js';
import { NotFoundError } from './lib/errors.js';
import { type FaultPoints, faultPointsFromEnv } from './lib/failpoint.js';
import { createFingerprinter, type Fingerprinter } from './lib/fingerprint.js';
import { own } from './lib/own.js';
import { createLogger, type Logger, pinoModule } from './log.js';
import type { Notifier } from './notify/notifier.js';
import type { OpsEndpoints } from './ops/endpoints.js';
import type { CredentialProvider } from './provider.js';
import { createProvider } from './registry.js';
import type { EngineDeps } from './runbook/engine.js';
import type { Store } from './store/store.js';
import type { ApprovalServer } from './web/server.js';

/**
 * What a command that only reads the providers needs (`nhi inventory`): the config, a logger
 * and the provider instances. No state store is opened and no signing key read, and the modules
 * behind them (store, audit, notifier, runbooks) are not loaded: the first provider call of such
 * a command comes that much sooner (issue 17, docs/adr/090-performance.md).
 */
export interface ProviderApp {
  config: Config;
  logger: Logger;
  now: () => Date;
  /** The provider instance by config name; created on first use. */
  provider(instance: string): Promise<CredentialProvider>;
  providerNames(): string[];
  close(): Promise<void>;
}

export interface App extends ProviderApp {
  store: Store;
  audit: AuditLog;
  auditPublicKey: KeyObject;
  /** Delivers signed checkpoints to `audit.witnesses` after each commit and on close. */
  witnesses: WitnessPublisher;
  fingerprint: Fingerprinter;
  notifier: Notifier;
  /** What the runbook engine needs (runbooks are loaded and validated on first use). */
  engine(): EngineDeps;
  /** Set when `http` is configured: start the approval page (`nhi serve`). */
  approvalPage?: () => Promise<ApprovalServer>;
  /** Set when `ops` is configured: start /healthz, /readyz, /metrics (`nhi serve`). */
  opsEndpoints?: () => Promise<OpsEndpoints>;
  close(): Promise<void>;
}

export interface AppOptions {
  configPath: string;
  verbose?: boolean;
  /** Log level when the config sets none (CLI: warn; nhi serve: info). */
  defaultLogLevel?: string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** Config and state-file warnings (the CLI prints them on stderr); default: the logger at warn. */
  onWarning?: (message: string) => void;
  /** stderr is a terminal: readable log lines there (log-pretty.ts) unless `log.file` is set. */
  prettyLogs?: { out: { write(text: string): unknown }; colorize: boolean };
}

export function createLoggerFor(
  config: Config,
  verbose: boolean,
  defaultLevel = 'warn',
  terminal?: DestinationStream,
): Logger {
  // Interactive commands keep stderr quiet unless asked; a daemon (nhi serve) logs at info.
  const level = verbose ? 'debug' : (config.log.level ?? defaultLevel);
  const destination = config.log.file
    ? pinoModule().destination({ dest: configRelative(config, config.log.file), sync: true, mkdir: true })
    : terminal;
  return createLogger(destination ? { level, destination } : { level });
}

/** The parts every command shares: config, logger, fingerprinter and the provider instances. */
interface Base extends ProviderApp {
  warn: (message: string) => void;
  fingerprint: Fingerprinter;
  faults: FaultPoints;
  closeProviders(): Promise<void>;
}

async function openBase(opts: AppOptions): Promise<Base> {
  const config = loadConfig(opts.configPath, opts.env ?? process.env);
  const now = opts.now ?? (() => new Date());
  const terminal =
    opts.prettyLogs && !config.log.file
      ? (await import('./log-pretty.js')).prettyDestination(opts.prettyLogs.out, opts.prettyLogs.colorize)
      : undefined;
  const logger = createLoggerFor(config, opts.verbose ?? false, opts.defaultLogLevel, terminal);
  const warn = opts.onWarning ?? ((message: string) => logger.warn(message));
  for (const w of config.warnings) warn(`${w.path}: ${w.message}`);
  const fingerprint = createFingerprinter(config.keys.fingerprint);
  // Crash-test switches, read here only (docs/adr/003-failpoints.md); inert unless set.
  const faults = faultPointsFromEnv(opts.env ?? process.env);
  const providers = new Map<string, Promise<CredentialProvider>>();
  const closeProviders = async () => {
    for (const p of providers.values()) await (await p.catch(() => undefined))?.close?.();
  };
  return {
    config,
    logger,
    now,
    warn,
    fingerprint,
    faults,
    provider(instance) {
      const cfg = own(config.providers, instance);
      if (!cfg) {
        return Promise.reject(
          new NotFoundError(
            `no provider instance "${instance}" in config (have: ${Object.keys(config.providers).join(', ')})`,
          ),
        );
      }
      let p = providers.get(instance);
      if (!p) {
        p = createProvider(instance, cfg, {
          // Each provider adds { provider: <type>, instance } itself: one key each, never twice.
          logger,
          fingerprint,
          ownerTagKeys: config.owners.tagKeys,
          now,
          faults,
        });
        providers.set(instance, p);
      }
      return p;
    },
    providerNames: () => Object.keys(config.providers),
    closeProviders,
    async close() {
      await closeProviders();
      logger.flush?.();
    },
  };
}

export function createProviderApp(opts: AppOptions): Promise<ProviderApp> {
  return openBase(opts);
}

export async function createApp(opts: AppOptions): Promise<App> {
  const base = await openBase(opts);
  const { config, logger, now, warn, fingerprint, faults } = base;
  // Loaded here, not at the top: a ProviderApp needs none of them.
  const [
    keys,
    { AuditLog },
    witnessBuild,
    witnessPublisher,
    { createNotifier },
    leases,
    runbookLoad,
    storeOpen,
  ] = await Promise.all([
    import('./audit/keys.js'),
    import('./audit/log.js'),
    import('./audit/witness/build.js'),
    import('./audit/witness/publisher.js'),
    import('./notify/notifier.js'),
    import('./runbook/leases.js'),
    import('./runbook/load.js'),
    import('./store/open.js'),
  ]);
  const privateKey = keys.privateKeyFromPem(config.keys.auditSigning, 'keys.auditSigning');
  const auditPublicKey = config.keys.auditPublicKey
    ? keys.publicKeyFrom(config.keys.auditPublicKey, config.baseDir, 'keys.auditPublicKey')
    : createPublicKey(privateKey);
  const { store: stateStore, latestSchemaVersion } = await storeOpen.openStateStore(config, {
    onWarning: warn,
  });
  const witnesses = witnessPublisher.createWitnessPublisher({
    witnesses: witnessBuild.buildWitnesses(config, now),
    audit: stateStore.audit,
    publicKey: auditPublicKey,
    logger: logger.child({ component: 'audit-witness' }),
    now,
  });
  // Every transaction that signed a checkpoint hands it to the witnesses once it has committed.
  const store = witnesses.enabled ? witnessPublisher.publishAfterCommit(stateStore, witnesses) : stateStore;
  const audit = new AuditLog(
    { privateKey, publicKey: auditPublicKey },
    { now, checkpointEvery: config.audit.checkpointEvery, onSigned: (cp) => witnesses.enqueue(cp) },
  );
  let engine: EngineDeps | undefined;
  const notifier = createNotifier({ targets: config.notify, deliveries: store.deliveries, logger, now });

  const app: App = {
    config,
    logger,
    store,
    audit,
    auditPublicKey,
    witnesses,
    fingerprint,
    notifier,
    now,
    provider: base.provider,
    providerNames: base.providerNames,
    engine() {
      if (!engine) {
        engine = {
          store,
          audit,
          config,
          notifier,
          logger,
          now,
          fingerprint,
          leaseHolder: leases.processLeaseHolder(),
          faults,
          provider: (instance) => app.provider(instance),
          runbooks: runbookLoad.loadRunbooksFrom(
            [runbookLoad.shippedRunbookDir(), ...config.runbooks.dirs.map((d) => configRelative(config, d))],
            { config },
          ),
        };
      }
      return engine;
    },
    ...(config.http && config.oidc
      ? {
          // Loaded on use: the page (OIDC client, WebAuthn) is most of a CLI run's start-up otherwise.
          approvalPage: async () => {
            const [{ startApprovalServer }, { ownerRegistryFromConfig }] = await Promise.all([
              import('./web/server.js'),
              import('./approval/owners/owner-registry.js'),
            ]);
            return startApprovalServer({
              config: { ...config, http: config.http, oidc: config.oidc } as typeof config & {
                http: NonNullable<typeof config.http>;
                oidc: NonNullable<typeof config.oidc>;
              },
              store,
              audit,
              notifier,
              logger: logger.child({ component: 'web' }),
              now,
              registry: ownerRegistryFromConfig(config),
            });
          },
        }
      : {}),
    ...(config.ops
      ? {
          opsEndpoints: async () =>
            (await import('./ops/endpoints.js')).startOpsEndpoints({
              listen: (config.ops as NonNullable<typeof config.ops>).listen,
              store,
              expectedSchema: latestSchemaVersion,
              logger: logger.child({ component: 'ops' }),
              now,
            }),
        }
      : {}),
    async close() {
      // Last chance for this process: checkpoints still pending (a failed delivery, or a crash of
      // an earlier process after its commit) go out now; a failure stays pending in the store.
      await witnesses.publish();
      await base.closeProviders();
      await store.close();
      logger.flush?.();
    },
  };
  return app;
}
