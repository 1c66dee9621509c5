/**
 * Which module registers which top-level command, so a CLI run loads only the module of the
 * command it runs (issue 17: `nhi --help` loaded 255 modules, 3-5 x Node's own start-up).
 * `nhi --help`, `nhi` and an unknown command get stand-ins built from COMMAND_SUMMARIES, which
 * test/cli/command-index.test.ts keeps identical to what the real modules register.
 */
import { type Command, Option } from 'commander';
import type { CliIo } from './context.js';

type Registrar = (program: Command, io: CliIo) => void;

interface CommandModule {
  /** Top-level commands the module adds or extends. */
  commands: readonly string[];
  load: () => Promise<Registrar>;
  /** A command of an earlier module this one adds subcommands to: that module loads too. */
  extends?: string;
}

/** In the order they register (help lists commands in that order). */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { commands: ['init'], load: async () => (await import('./commands/init.js')).registerInitCommand },
  { commands: ['config'], load: async () => (await import('./commands/config.js')).registerConfigCommands },
  {
    commands: ['inventory'],
    load: async () => (await import('./commands/inventory.js')).registerInventoryCommand,
  },
  {
    commands: ['scan', 'findings', 'serve'],
    load: async () => (await import('./commands/scan.js')).registerScanCommands,
  },
  {
    commands: ['plan', 'request', 'run', 'resume', 'status', 'lineage'],
    load: async () => (await import('./commands/recovery.js')).registerRecoveryCommands,
  },
  {
    commands: ['approve', 'deny'],
    load: async () => (await import('./commands/approval.js')).registerApprovalCommands,
  },
  // Adds `request export` to recovery's `request` (so it loads after it) and `approval import`.
  {
    commands: ['request', 'approval'],
    extends: 'request',
    load: async () => (await import('./commands/offline-approval.js')).registerOfflineApprovalCommands,
  },
  {
    commands: ['incident'],
    load: async () => (await import('./commands/incident.js')).registerIncidentCommands,
  },
  { commands: ['audit'], load: async () => (await import('./commands/audit.js')).registerAuditCommands },
  { commands: ['db'], load: async () => (await import('./commands/db.js')).registerDbCommands },
  { commands: ['keygen'], load: async () => (await import('./commands/keygen.js')).registerKeygenCommand },
  { commands: ['policy'], load: async () => (await import('./commands/policy.js')).registerPolicyCommands },
  {
    commands: ['passkey'],
    load: async () => (await import('./commands/passkey.js')).registerPasskeyCommands,
  },
  {
    commands: ['completion'],
    load: async () => (await import('./commands/completion.js')).registerCompletionCommand,
  },
];

/** [help term, description] of every top-level command, in help order. */
export const COMMAND_SUMMARIES: readonly (readonly [string, string])[] = [
  [
    'init [options]',
    'write a starter config (nhi.config.json) and its keys; asks on a terminal, takes flags elsewhere',
  ],
  ['config', 'config check: validate the config file (see nhi config --help)'],
  [
    'inventory [options]',
    'list what the configured providers hold: ref, kind, state, owners, tier, last use (with confidence), age',
  ],
  [
    'scan [options]',
    'walk every provider, store snapshots, compute findings (dormant, reenabled, orphaned, long-lived, ...)',
  ],
  ['findings [options]', 'list findings with first seen / last seen / resolved, and failed alert deliveries'],
  [
    'serve',
    'run the configured cron schedules (one leader among instances on one store; single-flight, catch-up on start), the approval page with `http`, /healthz /readyz /metrics with `ops`; SIGTERM stops cleanly',
  ],
  [
    'plan [options] <ref>',
    'dry run: resolve a ref and a runbook against the live provider into a plan and its digest; changes nothing',
  ],
  [
    'request [options] <ref>',
    'file a recovery request: stores the plan and its digest and notifies the owners',
  ],
  ['run [options] <request-id>', 'execute an approved request (revoke, reissue, verify, record lineage)'],
  [
    'resume [options] <run-id>',
    'continue an interrupted run from its last committed step (asks the provider what already happened)',
  ],
  [
    'status [id]',
    'show requests and runs (all, or one by id), approvals, holds, break-glass reviews, failed deliveries',
  ],
  [
    'lineage [options] <ref>',
    'every recovery of one identity: old -> new credential, who asked, approved, executed, with what proof',
  ],
  [
    'approve [options] [request-id]',
    'approve a request: sign (requestId, planDigest, decision, expiresAt) with your Ed25519 key; after a break-glass run, endorse it (retrospective review)',
  ],
  [
    'deny [options] [request-id]',
    'deny a request: sign (requestId, planDigest, decision, expiresAt) with your Ed25519 key; after a break-glass run, dispute it (retrospective review)',
  ],
  ['approval', 'decisions made elsewhere'],
  [
    'incident',
    'recover every credential a breach touched: plan the blast radius, owners approve their share, run at the write quota',
  ],
  ['audit', 'audit verify | audit export: check or export the tamper-evident audit log'],
  ['db', "db migrate: bring the state store (SQLite file or PostgreSQL) to this nhi's schema"],
  [
    'keygen [options]',
    'write an Ed25519 key pair: PREFIX.key (private, mode 0600) and PREFIX.pub — for an owner or for audit signing',
  ],
  [
    'policy',
    'policy sign | policy show: the signed policy (owner registry, tiers, approval policy) and its control owners',
  ],
  ['passkey', 'passkeys for the approval page: confirm (with your registered key), list, revoke'],
  [
    'completion <shell>',
    'print a shell completion script (bash, zsh or fish) for every nhi command and option',
  ],
];

/** Global options that take a value (their value is not the command word). */
const VALUE_OPTIONS = new Set(['-c', '--config']);

/** The command a command line runs (`nhi help X` runs X's help), or undefined. */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg === 'help' ? argv.slice(i + 1).find((a) => !a.startsWith('-')) : arg;
  }
  return undefined;
}

/** Register the modules `word` needs; all of them with `word` = '*'; else the stand-ins. */
export async function registerCommands(program: Command, io: CliIo, word: string | undefined): Promise<void> {
  const direct = COMMAND_MODULES.filter(
    (m) => word === '*' || (word !== undefined && m.commands.includes(word)),
  );
  const extended = new Set(direct.flatMap((m) => (m.extends ? [m.extends] : [])));
  // In registration order: an extended command's own module before the module extending it.
  const wanted = COMMAND_MODULES.filter(
    (m) => direct.includes(m) || (!m.extends && m.commands.some((c) => extended.has(c))),
  );
  if (wanted.length > 0) {
    for (const m of wanted) (await m.load())(program, io);
    return;
  }
  for (const [term, description] of COMMAND_SUMMARIES) {
    const [name, ...rest] = term.split(' ');
    const stub = program.command(name as string).description(description);
    const args = rest.filter((t) => t !== '[options]');
    if (args.length > 0) stub.arguments(args.join(' '));
    // Only listed in help, never run: a known command word loads the real module instead.
    if (rest.includes('[options]')) stub.addOption(new Option('--options').hideHelp());
  }
}
