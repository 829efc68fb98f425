// A sliding window of recent latencies with quantiles: bounded memory, exact over the window.
export class LatencyWindow {
  private readonly values: number[] = [];

  constructor(private readonly size: number) {}

  add(ms: number): void {
    this.values.push(ms);
    if (this.values.length > this.size) this.values.shift();
  }

  /** The q-quantile (nearest rank) in ms, rounded to 0.1; null before the first value. */
  quantile(q: number): number | null {
    if (this.values.length === 0) return null;
    const sorted = [...this.values].sort((a, b) => a - b);
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return Math.round((sorted[i] as number) * 10) / 10;
  }
}
