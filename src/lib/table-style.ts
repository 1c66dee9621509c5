/**
 * How tables look on this invocation's stdout: the width to fit (a terminal's columns; none
 * when piped, so scripts get whole cells) and whether to colour states and severities. Set
 * once per CLI run from the output stream and the environment (src/cli/program.ts), read by
 * renderTable; a library caller that never sets it gets plain, unbounded tables.
 */
import pc from 'picocolors';

export interface TableStyle {
  /** Fit the table in this many columns by shortening free-text columns; undefined: never. */
  maxWidth?: number;
  color: boolean;
}

let current: TableStyle = { color: false };

export function setTableStyle(style: TableStyle): void {
  current = style;
}

export function tableStyle(): TableStyle {
  return current;
}

/**
 * NO_COLOR (https://no-color.org: any non-empty value) turns colour off; FORCE_COLOR (non-empty,
 * not "0") turns it on even when piped; otherwise colour only on a terminal that is not "dumb".
 */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** The style for a CLI run writing to `stream` (a TTY's `columns` bound the width). */
export function styleFor(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): TableStyle {
  const columns = stream.isTTY ? stream.columns : undefined;
  return {
    color: colorWanted(stream, env),
    ...(columns && columns > 20 ? { maxWidth: columns } : {}),
  };
}

const colors = pc.createColors(true);
const BY_VALUE: Record<string, (s: string) => string> = {
  critical: (s) => colors.bold(colors.red(s)),
  high: colors.red,
  medium: colors.yellow,
  low: colors.cyan,
  info: colors.dim,
  completed: colors.green,
  approved: colors.green,
  ok: colors.green,
  failed: colors.red,
  'needs-attention': (s) => colors.bold(colors.red(s)),
  denied: colors.red,
  refused: colors.red,
  expired: colors.dim,
  excluded: colors.dim,
  withdrawn: colors.dim,
  pending: colors.yellow,
  'awaiting-approval': colors.yellow,
  'on-hold': colors.yellow,
  running: colors.cyan,
};

/** Columns whose values are states or severities (coloured by value). */
export const COLORED_COLUMNS = new Set(['SEVERITY', 'STATE', 'STATUS']);

/** The coloured form of a state or severity cell (its first word decides: "high *" is high). */
export function paintValue(text: string): string {
  const word = text.trim().split(/\s/)[0] ?? '';
  const paint = BY_VALUE[word];
  return paint ? paint(text) : text;
}
