import type { Command } from 'commander';
import { type App, type AppOptions, createApp, createProviderApp, type ProviderApp } from '../app.js';
import { configPathFrom } from '../config/load.js';
import { safeLine, safeText } from '../lib/safe-text.js';
import { colorWanted } from '../lib/table-style.js';
import { type JsonKind, type NotArray, versioned } from './json-output.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  verbose?: boolean;
}

/** What every command action gets: global flags, output helpers and a lazily built app. */
export interface CliContext {
  globals: GlobalOptions;
  configPath: string;
  print(text: string): void;
  /**
   * A renderTable result, as is: its cells were made terminal-safe one by one (headers are
   * ours), so the colours it painted survive, which print's escaping would turn into text.
   */
  printTable(table: string): void;
  /** One `--json` document of `kind`, with its schemaVersion (json-output.ts, docs/json/). */
  printJson<T extends object>(kind: JsonKind, value: T & NotArray): void;
  /** Human progress on a TTY only; silent with --json or when stdout is piped. */
  progress(text: string): void;
  withApp<T>(fn: (app: App) => Promise<T>, opts?: { defaultLogLevel?: string }): Promise<T>;
  /** For a command that only reads the providers: no state store opened, no signing key read. */
  withProviders<T>(fn: (app: ProviderApp) => Promise<T>): Promise<T>;
}

export interface CliIo {
  /** Where a question's answer comes from (`approve? [y/N]`); absent = never interactive. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function contextFor(command: Command, io: CliIo): CliContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const configPath = configPathFrom(globals.config, io.env);
  return {
    globals,
    configPath,
    print: (text) => void io.stdout.write(`${safeText(text)}\n`),
    printTable: (table) => void io.stdout.write(`${table}\n`),
    printJson: (kind, value) => void io.stdout.write(`${JSON.stringify(versioned(kind, value), null, 2)}\n`),
    progress: (text) => {
      if (!globals.json && io.stderr.isTTY) io.stderr.write(`\r\x1b[2K${text}`);
    },
    withApp: (fn, opts = {}) => using(createApp(appOptions(opts.defaultLogLevel)), fn),
    withProviders: (fn) => using(createProviderApp(appOptions()), fn),
  };

  function appOptions(defaultLogLevel?: string): AppOptions {
    return {
      configPath,
      verbose: globals.verbose ?? false,
      env: io.env,
      ...(defaultLogLevel ? { defaultLogLevel } : {}),
      onWarning: (message) => printWarning(io, message),
      // A person at the terminal reads log lines; anything else (a pipe, a file, --json) parses them.
      ...(!globals.json && io.stderr.isTTY
        ? { prettyLogs: { out: io.stderr, colorize: colorWanted(io.stderr, io.env) } }
        : {}),
    };
  }
}

async function using<A extends { close(): Promise<void> }, T>(
  opening: Promise<A>,
  fn: (app: A) => Promise<T>,
): Promise<T> {
  const app = await opening;
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** A warning for the person at the terminal: stderr, one line, never mixed into --json stdout. */
export function printWarning(io: CliIo, message: string): void {
  io.stderr.write(`warning: ${safeLine(message)}\n`);
}
