/**
 * The file witness: an append-only JSONL file, one signed checkpoint per line. Put it on
 * another mount than the state store (and `chattr +a` it, or ship it with a log forwarder),
 * so whoever can rewrite the database cannot also rewrite this.
 */
import { constants, createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { WitnessRecord } from './record.js';
import { errorLabel, type Witness, WitnessError, type WitnessSource } from './types.js';

export function fileWitness(name: string, path: string): Witness {
  return {
    name,
    type: 'file',
    async deliver(record: WitnessRecord) {
      try {
        const existed = await stat(path).then(
          () => true,
          () => false,
        );
        // O_APPEND: every write lands at the end, even with two nhi processes appending at once;
        // one write() per line keeps lines whole.
        const fh = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640);
        try {
          await fh.write(`${JSON.stringify(record)}\n`);
          await fh.sync();
        } finally {
          await fh.close();
        }
        if (!existed) await syncDirectory(dirname(path));
      } catch (error) {
        throw new WitnessError(`cannot append to witness file (${errorLabel(error)})`, { cause: error });
      }
    },
  };
}

/** A new file is durable only once its directory entry is: fsync the directory too (best effort). */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!fh) return;
  try {
    await fh.sync().catch(() => undefined);
  } finally {
    await fh.close();
  }
}

/** Read a JSONL witness file line by line (a file witness, or the log a webhook receiver keeps). */
export function fileWitnessSource(label: string, path: string): WitnessSource {
  return {
    label,
    async *records() {
      const input = createReadStream(path, { encoding: 'utf8' });
      const opened = new Promise<void>((resolve, reject) => {
        input.once('open', () => resolve());
        input.once('error', reject);
      });
      try {
        await opened;
      } catch (error) {
        throw new WitnessError(`cannot read witness file (${errorLabel(error)})`, { cause: error });
      }
      const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      try {
        for await (const line of lines) {
          if (line.trim() === '') continue;
          yield parseLine(line);
        }
      } finally {
        lines.close();
        input.destroy();
      }
    },
  };
}

export function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
