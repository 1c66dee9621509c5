import type { AuditArea } from '../store.js';
import type { AuditCheckpoint, WitnessDeliveryState } from '../types.js';
import { json, type SqliteGate } from './database.js';

const PAGE = 500;

interface CheckpointRow {
  seq: number;
  hash: string;
  ts: string;
  key_id: string;
  signature: string;
}

const toCheckpoint = (r: CheckpointRow): AuditCheckpoint => ({
  seq: r.seq,
  hash: r.hash,
  ts: r.ts,
  keyId: r.key_id,
  signature: r.signature,
});

/** The parts of the audit area that serve witnesses: streamed checkpoints and delivery state. */
export function auditWitnessMethods(
  g: SqliteGate,
): Pick<AuditArea, 'checkpointsFrom' | 'witnessState' | 'putWitnessState'> {
  const db = g.statements;
  return {
    async *checkpointsFrom(fromSeq = 0) {
      let after = fromSeq - 1;
      for (;;) {
        const rows = await g.exclusive(
          () =>
            db
              .prepare('SELECT * FROM audit_checkpoints WHERE seq > ? ORDER BY seq LIMIT ?')
              .all(after, PAGE) as CheckpointRow[],
        );
        for (const row of rows) yield toCheckpoint(row);
        if (rows.length < PAGE) return;
        after = (rows.at(-1) as CheckpointRow).seq;
      }
    },
    witnessState: (name) =>
      g.exclusive(() => {
        const row = db.prepare('SELECT body FROM audit_witnesses WHERE name = ?').get(name) as
          | { body: string }
          | undefined;
        return row && json<WitnessDeliveryState>(row.body);
      }),
    putWitnessState: (state) =>
      g.exclusive(() => {
        db.prepare(
          'INSERT INTO audit_witnesses (name, body) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET body = excluded.body',
        ).run(state.name, JSON.stringify(state));
      }),
  };
}
