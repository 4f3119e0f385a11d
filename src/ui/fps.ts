/**
 * Frames per second of the live view, from the times frames arrived (ms). Over the last 2 s when at least two
 * frames fall in it; on slow machines (below 0.5 frames/s) over the last two frames instead, so the rate reads
 * 0.06, not 0. Pure: unit-tested in Node.
 */
export class FpsMeter {
  private times: number[] = [];

  constructor(
    private readonly windowMs = 2000,
    /** Frames older than this no longer count (a stalled view reads 0 once its last frame is this old). */
    private readonly keepMs = 60_000,
  ) {}

  /** Records a frame at `now` and returns the rate. */
  tick(now: number): number {
    this.times = [...this.times.filter((t) => now - t < this.keepMs), now].slice(-64);
    return this.rate();
  }

  /** Frames per second (0 before the second frame). */
  rate(): number {
    const n = this.times.length;
    if (n < 2) return 0;
    const last = this.times[n - 1]!;
    const recent = this.times.filter((t) => last - t <= this.windowMs);
    const span = recent.length >= 2 ? recent : this.times.slice(-2);
    return (1000 * (span.length - 1)) / (span[span.length - 1]! - span[0]!);
  }

  reset(): void {
    this.times = [];
  }
}
