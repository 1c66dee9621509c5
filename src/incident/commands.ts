import { KEY_FILE_PLACEHOLDER, shellWord } from '../plan-view/commands.js';

/** The exact command an owner runs to decide their share of an incident, printed and sent in notices. */
export function incidentDecisionCommand(
  incidentId: string,
  digest: string,
  owner: string,
  decision: 'approve' | 'deny',
): string {
  return `nhi incident ${decision} ${shellWord(incidentId)} --as ${shellWord(owner)} --key ${KEY_FILE_PLACEHOLDER} --digest ${shellWord(digest)}`;
}
