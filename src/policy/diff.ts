/**
 * What changed between two policy documents, as readable lines keyed by the config path a
 * person would edit: `owners.principals.mallory: added`, `policy.privileged.quorum: 2 → 1`.
 * Shown when an unsigned change is refused and by `nhi policy show`.
 */
export interface PolicyChange {
  path: string;
  change: string;
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function diffPolicy(before: unknown, after: unknown): PolicyChange[] {
  const out: PolicyChange[] = [];
  walk(before, after, [], out);
  return out;
}

function walk(a: unknown, b: unknown, path: string[], out: PolicyChange[]): void {
  const at = path.join('.') || '(root)';
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      // The PEM says nothing its key id does not; a changed key shows once, as its id.
      if (k === 'publicKey' && 'keyId' in a && 'keyId' in b) continue;
      if (!(k in a)) out.push({ path: [...path, k].join('.'), change: `added${keyNote(b[k])}` });
      else if (!(k in b)) out.push({ path: [...path, k].join('.'), change: 'removed' });
      else walk(a[k], b[k], [...path, k], out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].every((v) => typeof v === 'string')) {
    const added = b.filter((v) => !a.includes(v));
    const removed = a.filter((v) => !b.includes(v));
    const parts = [
      ...(added.length ? [`added ${added.map(show).join(', ')}`] : []),
      ...(removed.length ? [`removed ${removed.map(show).join(', ')}`] : []),
    ];
    if (parts.length) out.push({ path: at, change: parts.join('; ') });
    else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: at, change: 'reordered' });
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: at, change: `${show(a)} → ${show(b)}` });
}

/** An added principal or control owner names its key, so the reader sees whose key came in. */
function keyNote(v: unknown): string {
  return isObject(v) && typeof v.keyId === 'string' ? ` (key ${v.keyId})` : '';
}

export function formatChanges(changes: readonly PolicyChange[]): string[] {
  return changes.map((c) => `${c.path}: ${c.change}`);
}
