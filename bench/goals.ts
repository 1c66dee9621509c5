/**
 * Issue 17's goals as data: each is a measured value beside its limit from the same run, as a
 * ratio and PASS/FAIL. Runs are repeated and interleaved by the caller; every figure printed is
 * the median of its repeats.
 */
export interface Goal {
  name: string;
  /** What was measured, and the limit it is held to, in the same unit. */
  measured: number;
  limit: number;
  unit: string;
  /** 'min': measured must be >= limit; 'max': measured must be <= limit. */
  kind: 'min' | 'max';
  detail: string;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function passes(g: Goal): boolean {
  return g.kind === 'min' ? g.measured >= g.limit : g.measured <= g.limit;
}

const num = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);

export function formatGoals(goals: readonly Goal[]): string {
  const lines: string[] = [];
  for (const g of goals) {
    const ratio = g.limit === 0 ? 'n/a' : `${((g.measured / g.limit) * 100).toFixed(1)} % of limit`;
    const op = g.kind === 'min' ? '>=' : '<=';
    lines.push(
      `${passes(g) ? 'PASS' : 'FAIL'}  ${g.name}: ${num(g.measured)} ${g.unit} ${op} ${num(g.limit)} ${g.unit} (${ratio})`,
      `      ${g.detail}`,
    );
  }
  const failed = goals.filter((g) => !passes(g)).length;
  lines.push('', failed === 0 ? `all ${goals.length} goals pass` : `${failed} of ${goals.length} goals FAIL`);
  return lines.join('\n');
}

export function goalsJson(goals: readonly Goal[], extra: Record<string, unknown>): string {
  return JSON.stringify(
    {
      ...extra,
      goals: goals.map((g) => ({
        ...g,
        ratio: g.limit === 0 ? null : g.measured / g.limit,
        pass: passes(g),
      })),
      pass: goals.every(passes),
    },
    null,
    2,
  );
}
