import type { Command } from 'commander';
import type { App } from '../../app.js';
import { ownerRegistryFromConfig } from '../../approval/owners/owner-registry.js';
import { confirmPasskey, revokePasskey } from '../../approval/passkeys/passkeys.js';
import { UsageError } from '../../lib/errors.js';
import { renderTable } from '../../lib/text.js';
import { type CliIo, contextFor } from '../context.js';
import { readPrivateKey } from '../key-file.js';

const depsOf = (app: App) => ({
  store: app.store,
  audit: app.audit,
  registry: ownerRegistryFromConfig(app.config),
});

export function registerPasskeyCommands(program: Command, io: CliIo): void {
  const passkey = program
    .command('passkey')
    .description('passkeys for the approval page: confirm (with your registered key), list, revoke');

  passkey
    .command('confirm')
    .description('activate a passkey registered on the approval page, signing it with your registered key')
    .argument('<principal>', 'the principal the passkey belongs to')
    .argument('<credential-id>', 'the credential id shown on the page (and by nhi passkey list)')
    .requiredOption('--key <file>', "the principal's private key (nhi keygen PEM or OpenSSH, mode 0600)")
    .addHelpText(
      'after',
      '\nA session at the identity provider alone never makes an approver: the passkey approves\n' +
        'only once its owner signs it here. Put -- before the id: a credential id may start with -.\n\nExample:\n  nhi passkey confirm alice --key ~/.nhi/alice.key -- -Yk3...',
    )
    .action(async (principal: string, credentialId: string, opts: { key: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const privateKey = readPrivateKey(opts.key);
      const done = await ctx.withApp((app) =>
        confirmPasskey(depsOf(app), { principal, credentialId, privateKey, now: app.now() }),
      );
      if (ctx.globals.json)
        ctx.printJson('passkey-confirm', { credentialId: done.credentialId, principal, status: done.status });
      else
        ctx.print(`passkey ${done.credentialId} of ${principal} is active (confirmed ${done.confirmedAt})`);
    });

  passkey
    .command('list')
    .description('passkeys and their status (pending, active, revoked)')
    .option('--principal <name>', 'only this principal')
    .action(async (opts: { principal?: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const rows = await ctx.withApp((app) =>
        opts.principal ? app.store.passkeys.forPrincipal(opts.principal) : app.store.passkeys.list(),
      );
      const view = rows.map(({ cosePublicKey: _c, confirmation: _s, ...p }) => p);
      if (ctx.globals.json) return ctx.printJson('passkey-list', { passkeys: view });
      ctx.printTable(
        renderTable(
          ['PRINCIPAL', 'CREDENTIAL', 'STATUS', 'SITE', 'CREATED', 'CONFIRMED', 'LAST USED'],
          view.map((p) => [
            p.principal,
            p.credentialId,
            p.status,
            p.rpId,
            p.createdAt.slice(0, 19),
            p.confirmedAt?.slice(0, 19) ?? '-',
            p.lastUsedAt?.slice(0, 19) ?? '-',
          ]),
        ),
      );
    });

  passkey
    .command('revoke')
    .description('revoke a passkey: it no longer decides on the approval page')
    .argument('<credential-id>')
    .requiredOption('--as <principal>', 'who revokes it')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(async (credentialId: string, opts: { as: string; reason: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      if (!opts.reason.trim()) throw new UsageError('--reason must not be empty');
      const done = await ctx.withApp((app) =>
        revokePasskey(depsOf(app), { credentialId, by: opts.as, reason: opts.reason.trim(), now: app.now() }),
      );
      if (ctx.globals.json) ctx.printJson('passkey-revoke', { credentialId, status: done.status });
      else ctx.print(`passkey ${credentialId} of ${done.principal} is revoked`);
    });
}
