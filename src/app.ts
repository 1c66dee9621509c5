/**
 * The composition root: the one place that turns a validated config into live parts
 * (logger, store, audit log, fingerprinter, providers, notifier). Everything else
 * receives what it needs as parameters.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import pino, { type DestinationStream } from 'pino';
import { ownerRegistryFromConfig } from './approval/owners/owner-registry.js';
import { privateKeyFromPem, publicKeyFrom } from './audit/keys.js';
import { AuditLog } from './audit/log.js';
import { buildWitnesses } from './audit/witness/build.js';
import {
  createWitnessPublisher,
  publishAfterCommit,
  type WitnessPublisher,
} from './audit/witness/publisher.js';
import { type Config, configRelative, loadConfig } from './config/load.js';
import { NotFoundError } from './lib/errors.js';
import { faultPointsFromEnv } from './lib/failpoint.js';
import { createFingerprinter, type Fingerprinter } from './lib/fingerprint.js';
import { own } from './lib/own.js';
import { createLogger, type Logger } from './log.js';
import { createNotifier, type Notifier } from './notify/notifier.js';
import type { CredentialProvider } from './provider.js';
import { createProvider } from './registry.js';
import type { EngineDeps } from './runbook/engine.js';
import { processLeaseHolder } from './runbook/leases.js';
import { loadRunbooksFrom, shippedRunbookDir } from './runbook/load.js';
import { openStateStore } from './store/open.js';
import type { Store } from './store/store.js';
import type { ApprovalServer } from './web/server.js';

export interface App {
  config: Config;
  logger: Logger;
  store: Store;
  audit: AuditLog;
  auditPublicKey: KeyObject;
  /** Delivers signed checkpoints to `audit.witnesses` after each commit and on close. */
  witnesses: WitnessPublisher;
  fingerprint: Fingerprinter;
  notifier: Notifier;
  now: () => Date;
  /** The provider instance by config name; created on first use. */
  provider(instance: string): Promise<CredentialProvider>;
  providerNames(): string[];
  /** What the runbook engine needs (runbooks are loaded and validated on first use). */
  engine(): EngineDeps;
  /** Set when `http` is configured: start the approval page (`nhi serve`). */
  approvalPage?: () => Promise<ApprovalServer>;
  /** Set when `ops` is configured: start /healthz, /readyz, /metrics (`nhi serve`). */
  opsEndpoints?: () => Promise<OpsEndpoints>;
  close(): Promise<void>;
}

export interface OpsEndpoints {
  url: string;
  /** Readiness and the nhi_leader gauge follow the instance's role. */
  setRole(role: 'leader' | 'standby'): void;
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
    ? pino.destination({ dest: configRelative(config, config.log.file), sync: true, mkdir: true })
    : terminal;
  return createLogger(destination ? { level, destination } : { level });
}

export async function createApp(opts: AppOptions): Promise<App> {
  const config = loadConfig(opts.configPath, opts.env ?? process.env);
  const now = opts.now ?? (() => new Date());
  const terminal =
    opts.prettyLogs && !config.log.file
      ? await (await import('./log-pretty.js')).prettyDestination(
          opts.prettyLogs.out,
          opts.prettyLogs.colorize,
        )
      : undefined;
  const logger = createLoggerFor(config, opts.verbose ?? false, opts.defaultLogLevel, terminal);
  const warn = opts.onWarning ?? ((message: string) => logger.warn(message));
  for (const w of config.warnings) warn(`${w.path}: ${w.message}`);
  const privateKey = privateKeyFromPem(config.keys.auditSigning, 'keys.auditSigning');
  const auditPublicKey = config.keys.auditPublicKey
    ? publicKeyFrom(config.keys.auditPublicKey, config.baseDir, 'keys.auditPublicKey')
    : createPublicKey(privateKey);
  const { store: stateStore, latestSchemaVersion } = await openStateStore(config, { onWarning: warn });
  const witnesses = createWitnessPublisher({
    witnesses: buildWitnesses(config, now),
    audit: stateStore.audit,
    publicKey: auditPublicKey,
    logger: logger.child({ component: 'audit-witness' }),
    now,
  });
  // Every transaction that signed a checkpoint hands it to the witnesses once it has committed.
  const store = witnesses.enabled ? publishAfterCommit(stateStore, witnesses) : stateStore;
  const audit = new AuditLog(
    { privateKey, publicKey: auditPublicKey },
    { now, checkpointEvery: config.audit.checkpointEvery, onSigned: (cp) => witnesses.enqueue(cp) },
  );
  const fingerprint = createFingerprinter(config.keys.fingerprint);
  // Crash-test switches, read here only (docs/adr/003-failpoints.md); inert unless set.
  const faults = faultPointsFromEnv(opts.env ?? process.env);
  const providers = new Map<string, Promise<CredentialProvider>>();
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
          leaseHolder: processLeaseHolder(),
          faults,
          provider: (instance) => app.provider(instance),
          runbooks: loadRunbooksFrom(
            [shippedRunbookDir(), ...config.runbooks.dirs.map((d) => configRelative(config, d))],
            { config },
          ),
        };
      }
      return engine;
    },
    ...(config.http && config.oidc
      ? {
          // Loaded on use: the page (OIDC client, WebAuthn) is most of a CLI run's start-up otherwise.
          approvalPage: async () =>
            (await import('./web/server.js')).startApprovalServer({
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
            }),
        }
      : {}),
    ...(config.ops
      ? {
          opsEndpoints: async () => {
            const [{ createOpsMetrics }, { startOpsServer }] = await Promise.all([
              import('./ops/metrics.js'),
              import('./ops/server.js'),
            ]);
            const metrics = createOpsMetrics(store, now);
            let role: 'leader' | 'standby' = 'standby';
            const server = await startOpsServer({
              listen: (config.ops as NonNullable<typeof config.ops>).listen,
              metrics,
              readiness: {
                schema: async () => ({
                  current: await store.schemaVersion(),
                  expected: latestSchemaVersion,
                }),
                role: () => role,
              },
              logger: logger.child({ component: 'ops' }),
            });
            return {
              url: server.url,
              setRole: (r) => {
                role = r;
                metrics.setRole(r);
              },
              close: async () => {
                metrics.close();
                await server.close();
              },
            };
          },
        }
      : {}),
    async close() {
      // Last chance for this process: checkpoints still pending (a failed delivery, or a crash of
      // an earlier process after its commit) go out now; a failure stays pending in the store.
      await witnesses.publish();
      for (const p of providers.values()) await (await p.catch(() => undefined))?.close?.();
      await store.close();
      logger.flush?.();
    },
  };
  return app;
}
