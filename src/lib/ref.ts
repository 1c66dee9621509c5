import { UsageError } from './errors.js';

/** `<provider-instance>:<kind>:<locator>` — the address of one credential. */
export interface CredentialRef {
  instance: string;
  kind: string;
  locator: string;
}

const INSTANCE = /^[a-z][a-z0-9-]{0,62}$/;
const KIND = /^[a-z][a-z-]{0,30}$/;

export function parseRef(text: string): CredentialRef {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (first < 0 || second < 0) {
    throw new UsageError(
      `invalid identity ref ${JSON.stringify(text)}: expected <provider-instance>:<kind>:<locator>, e.g. aws-prod:secret:payments/db`,
    );
  }
  const instance = text.slice(0, first);
  const kind = text.slice(first + 1, second);
  const locator = text.slice(second + 1);
  if (!INSTANCE.test(instance))
    throw new UsageError(`invalid provider instance ${JSON.stringify(instance)} in ref`);
  if (!KIND.test(kind)) throw new UsageError(`invalid credential kind ${JSON.stringify(kind)} in ref`);
  // Locators come from providers and users; refuse control characters so a ref can never
  // smuggle terminal escapes or fake log lines.
  if (locator.length === 0 || /[\u0000-\u001f\u007f]/.test(locator)) {
    throw new UsageError(`invalid locator in ref ${JSON.stringify(text)}`);
  }
  return { instance, kind, locator };
}

export function formatRef(ref: CredentialRef): string {
  return `${ref.instance}:${ref.kind}:${ref.locator}`;
}
