/** The exact commands a plan view offers (one source for notifications, `nhi request` and the views). */

/** Stands for the owner's own key file; nhi never holds owners' private keys. */
export const KEY_FILE_PLACEHOLDER = '<private-key-file>';

/**
 * `nhi approve|deny <request> --as <owner> --key <private-key-file> --digest <plan digest>`:
 * with --digest the decision is refused if the plan changed since the owner looked at it.
 */
export function decisionCommand(
  requestId: string,
  planDigest: string,
  owner: string,
  decision: 'approve' | 'deny' = 'approve',
): string {
  return `nhi ${decision} ${shellWord(requestId)} --as ${shellWord(owner)} --key ${KEY_FILE_PLACEHOLDER} --digest ${shellWord(planDigest)}`;
}

/** The next step after `nhi plan`: file the request this plan would be part of. */
export function requestCommand(ref: string, runbookId: string): string {
  return `nhi request ${shellWord(ref)} --runbook ${shellWord(runbookId)} --reason "<ticket: what happened>" --as <you>`;
}

/**
 * A copy-pasteable shell word: left alone when it holds only characters no shell treats
 * specially, else single-quoted. Refs come from providers and may hold anything.
 */
export function shellWord(text: string): string {
  // Placeholders (<owner>, <you>) are for the reader to replace, not shell words.
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text) || /^<[a-z-]+>$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
