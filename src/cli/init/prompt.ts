/**
 * Questions `nhi init` asks on a terminal. One line reader for the whole session: answers
 * typed (or pasted) ahead of their question stay buffered for it. Questions go to stderr, so
 * stdout holds only the result.
 */
import { createInterface } from 'node:readline';
import type { CliIo } from '../context.js';

export interface Asker {
  /** `question [default]: `; an empty answer takes the default. End of input: the default. */
  ask(question: string, fallback?: string): Promise<string>;
  close(): void;
}

export function terminalAsker(io: CliIo): Asker {
  const stdin = io.stdin;
  if (!stdin) throw new Error('no stdin to ask on');
  const rl = createInterface({ input: stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  let ended = false;
  return {
    async ask(question, fallback) {
      io.stderr.write(`${question}${fallback ? ` [${fallback}]` : ''}: `);
      if (ended) return fallback ?? '';
      const next = await lines.next();
      if (next.done) {
        ended = true;
        io.stderr.write('\n');
        return fallback ?? '';
      }
      const answer = String(next.value).trim();
      return answer === '' ? (fallback ?? '') : answer;
    },
    close() {
      rl.close();
      stdin.pause?.();
    },
  };
}
