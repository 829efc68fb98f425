// A sliding window of recent latencies with quantiles: bounded memory, exact over the window.

/** Nearest-rank q-quantile of ascending `sorted`; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
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
    return Math.round(quantile([...this.values].sort((a, b) => a - b), q) * 10) / 10;
  }
}
