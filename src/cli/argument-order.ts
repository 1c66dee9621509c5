/**
 * Usage errors in the order a user reads the command line (issue 16): `nhi plan` with nothing
 * after it should say the <ref> is missing, not that --runbook is. Commander checks required
 * options before it counts arguments, so every required option is turned into an ordinary one
 * here and checked in a preAction hook instead, which runs after commander has checked unknown
 * options and missing arguments. The help text does not change (commander does not mark
 * required options in it) and the message is commander's own.
 */
import type { Command, Option } from 'commander';

const deferred = new WeakSet<Option>();

/** Call once the whole command tree is registered, before parsing. */
export function checkRequiredOptionsAfterArguments(program: Command): void {
  const visit = (cmd: Command): void => {
    for (const option of cmd.options) {
      if (option.mandatory) {
        option.mandatory = false;
        deferred.add(option);
      }
    }
    for (const sub of cmd.commands) visit(sub);
  };
  visit(program);
  program.hook('preAction', (_root, action) => {
    // Options of the command and of its parents, as commander's own check walks them.
    for (let cmd: Command | null = action; cmd; cmd = cmd.parent) {
      for (const option of cmd.options) {
        if (deferred.has(option) && cmd.getOptionValue(option.attributeName()) === undefined) {
          action.error(`error: required option '${option.flags}' not specified`, {
            code: 'commander.missingMandatoryOptionValue',
          });
        }
      }
    }
  });
}
