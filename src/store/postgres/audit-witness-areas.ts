import type { AuditArea } from '../store.js';
import type { AuditCheckpoint, WitnessDeliveryState } from '../types.js';
import { json, type PgGate, paged } from './database.js';

export interface CheckpointRow {
  seq: string | number;
  hash: string;
  ts: string;
  key_id: string;
  signature: string;
}

export const toCheckpoint = (r: CheckpointRow): AuditCheckpoint => ({
  seq: Number(r.seq),
  hash: r.hash,
  ts: r.ts,
  keyId: r.key_id,
  signature: r.signature,
});

/** The parts of the audit area that serve witnesses: streamed checkpoints and delivery state. */
export function auditWitnessMethods(
  g: PgGate,
): Pick<AuditArea, 'checkpointsFrom' | 'witnessState' | 'putWitnessState'> {
  return {
    async *checkpointsFrom(fromSeq = 0) {
      const rows = paged<CheckpointRow>(
        g,
        'SELECT seq, hash, ts, key_id, signature FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2',
        (last) => [last ? last.seq : fromSeq - 1],
      );
      for await (const row of rows) yield toCheckpoint(row);
    },
    witnessState: async (name) => {
      const [row] = await g
        .conn()
        .rows<{ body: string }>('SELECT body FROM audit_witnesses WHERE name = $1', [name]);
      return row && json<WitnessDeliveryState>(row.body);
    },
    putWitnessState: async (state) => {
      await g
        .conn()
        .write(
          'INSERT INTO audit_witnesses (name, body) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET body = excluded.body',
          [state.name, JSON.stringify(state)],
        );
    },
  };
}
