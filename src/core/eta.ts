/**
 * Time left of a job, estimated from the time its units of work have taken so far — DOM-free and
 * TensorFlow.js-free (the worker estimates, the page shows it, the CLI could print it).
 *
 * The first interval (start → first report) carries one-off costs (shader compilation, first-use allocation,
 * resolving the target): once a second report exists it is left out, and the rate is the units per ms over the
 * reports since then (the last `window` intervals, so a job whose pace changes — the live view stopped, say — is
 * followed). At a constant rate the estimate is exact from the second report on. The total may change between
 * reports (integrated gradients refines its path: 32 → 96 → 288 steps); the estimate is of the units still to do.
 */

/** What a job's progress says: units done of total, seconds since it started, and seconds left (when known). */
export interface JobEstimate {
  done: number;
  total: number;
  /** Seconds since the job started. */
  elapsedSeconds: number;
  /** Seconds left, ≥ 0; undefined until a unit has been done. */
  etaSeconds?: number;
}

/** Options of EtaEstimator. */
export interface EtaOptions {
  /** Intervals the rate is averaged over (default 12). */
  window?: number;
}

/** Estimates a job's time left from its progress reports (see the module comment). */
export class EtaEstimator {
  private readonly samples: { done: number; at: number }[] = [];
  private readonly window: number;

  /** `startMs`: when the job started, on the clock later reports use (performance.now() in ms). */
  constructor(
    private readonly startMs: number,
    { window = 12 }: EtaOptions = {},
  ) {
    if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`window must be an integer ≥ 1, got ${window}`);
    this.window = window;
  }

  /** Records that `done` of `total` units are finished at `nowMs`, and returns the estimate then. */
  update(done: number, total: number, nowMs: number): JobEstimate {
    this.samples.push({ done, at: nowMs });
    if (this.samples.length > this.window + 1) this.samples.shift();
    const elapsedSeconds = Math.max(0, nowMs - this.startMs) / 1000;
    const rate = this.rate();
    const left = Math.max(0, total - done);
    if (left === 0) return { done, total, elapsedSeconds, etaSeconds: 0 };
    return { done, total, elapsedSeconds, ...(rate !== undefined ? { etaSeconds: left / rate / 1000 } : {}) };
  }

  /** Units per ms: since the first report once there are two (warm-up left out), else since the start. */
  private rate(): number | undefined {
    const last = this.samples.at(-1)!;
    const first = this.samples[0]!;
    if (this.samples.length >= 2 && last.done > first.done && last.at > first.at) return (last.done - first.done) / (last.at - first.at);
    if (last.done > 0 && last.at > this.startMs) return last.done / (last.at - this.startMs);
    return undefined;
  }
}

/** "about 40 s left", "about 3 min left", "a few seconds left" — rounded so the number does not flicker. */
export function timeLeftText(seconds: number): string {
  if (seconds < 5) return 'a few seconds left';
  if (seconds < 60) return `about ${seconds < 20 ? Math.round(seconds) : Math.round(seconds / 5) * 5} s left`;
  const minutes = seconds / 60;
  return `about ${minutes < 10 ? Math.round(minutes * 2) / 2 : Math.round(minutes)} min left`;
}

/** Elapsed time as "7 s", "1 min 05 s". */
export function elapsedText(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
