/**
 * The leader lease across hosts, where a dead pid cannot be seen: a standby on another host
 * waits out the lease, takes it with a new fencing token, and the old leader's token stops
 * counting — it can neither renew nor claim a tick.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LeaseHolder } from '../../src/runbook/leases.js';
import { holdsLeadership, LEADER_TTL_MS, RENEW_MS, tryLead } from '../../src/schedule/leader.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const a: LeaseHolder = { id: 'host-a:4242:aaaa', host: 'host-a', pid: 4242 };
const b: LeaseHolder = { id: 'host-b:4242:bbbb', host: 'host-b', pid: 4242 };
const at = (ms: number) => new Date(Date.UTC(2026, 11, 3) + ms);

describe('the leader lease', () => {
  it('is taken over from another host only after it lapses, with a new fencing token', async () => {
    const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'nhi-leader-')), 'state.db'));
    try {
      const lead = (who: LeaseHolder, ms: number) =>
        store.transaction((tx) => tryLead(tx, who, at(ms), LEADER_TTL_MS));
      const first = await lead(a, 0);
      expect(first?.token).toBe(1);
      expect(await lead(b, RENEW_MS)).toBeUndefined();
      expect((await lead(a, RENEW_MS))?.token).toBe(1); // renewed, same token
      // a is SIGKILLed at 2 s: its lease stands until 12 s, then b takes it.
      expect(await lead(b, RENEW_MS + LEADER_TTL_MS - 1)).toBeUndefined();
      const second = await lead(b, RENEW_MS + LEADER_TTL_MS + 1);
      expect(second?.token).toBe(2);
      // Worst case from the kill to the new leader: the lease's TTL plus one beat, under 15 s.
      expect(LEADER_TTL_MS + RENEW_MS).toBeLessThan(15_000);
      const now = at(RENEW_MS + LEADER_TTL_MS + 2);
      expect(await store.transaction((tx) => holdsLeadership(tx, a, 1, now))).toBe(false);
      expect(await store.transaction((tx) => holdsLeadership(tx, b, 2, now))).toBe(true);
      // a, back from a long pause, cannot lead again while b's lease is live.
      expect(await lead(a, RENEW_MS + LEADER_TTL_MS + 3)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
