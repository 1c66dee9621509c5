/** Fixed-window counters: sign-in attempts per client address, decisions per principal. */
export class WindowLimiter {
  readonly #hits = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => Date,
  ) {}

  /** undefined when allowed; else the seconds until the window resets. */
  take(key: string): number | undefined {
    const t = this.now().getTime();
    const w = this.#hits.get(key);
    if (!w || t - w.start >= 60_000) {
      if (this.#hits.size > 10_000) this.#hits.clear();
      this.#hits.set(key, { start: t, count: 1 });
      return undefined;
    }
    if (w.count >= this.perMinute) return Math.max(1, Math.ceil((w.start + 60_000 - t) / 1000));
    w.count++;
    return undefined;
  }
}
