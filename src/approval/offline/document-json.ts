/** The envelope every offline file shares: JSON, an object, of one `kind`, version 1. */
export function parseVersionedDocument(
  text: string,
  kind: string,
  bad: (why: string) => never,
): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return bad(`not JSON (${(error as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad('not a JSON object');
  const d = raw as Record<string, unknown>;
  if (d.kind !== kind) return bad(`kind is ${JSON.stringify(d.kind)}, expected "${kind}"`);
  if (d.version !== 1) return bad(`version ${JSON.stringify(d.version)} is not supported (expected 1)`);
  return d;
}
