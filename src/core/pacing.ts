/**
 * Sizing a job's units of work by time, so that a cancel (checked between units) acts quickly on every backend.
 *
 * A job evaluates many images (occlusion, Shapley) or gradients (integrated gradients) in batches. A fixed batch
 * of 16 took about 14 s per pass with the standard model on software WebGL, and a cancel waited for it (9.2 s
 * measured). The pacer picks each batch's size from the time per image measured so far: the largest allowed
 * size whose predicted time stays within the budget, never below 1 (one image is the floor: a single pass cannot
 * be interrupted) and never above `max`. Allowed sizes are the powers of two below `max`, and `max` itself, so a
 * job uses at most a handful of batch shapes (the WebGPU buffer pool keeps one set of buffers per shape).
 */

/** Wall-clock budget of one unit of work between cancel checks, ms: a cancel then acts well within 1 s. */
export const UNIT_BUDGET_MS = 400;

/** Options of BatchPacer: the batch-size bounds and the time budget per batch. */
export interface PacerOptions {
  /** Largest batch (the method's batch size), ≥ 1. */
  max: number;
  /** Budget per batch, ms (default UNIT_BUDGET_MS). */
  budgetMs?: number;
  /** First batch size (default 1: the first pass also carries one-off costs such as shader compilation). */
  start?: number;
}

/** The batch sizes a pacer may use for `max`: 1, 2, 4, … below max, and max. */
export function pacedSizes(max: number): number[] {
  const sizes: number[] = [];
  for (let s = 1; s < max; s *= 2) sizes.push(s);
  sizes.push(max);
  return sizes;
}

/** Picks batch sizes so that each batch takes about `budgetMs` or less (see the module comment). */
export class BatchPacer {
  readonly max: number;
  readonly budgetMs: number;
  private readonly sizes: number[];
  private current: number;
  /** Estimated ms per image (undefined before the first batch). */
  private perItem: number | undefined;

  constructor({ max, budgetMs = UNIT_BUDGET_MS, start = 1 }: PacerOptions) {
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`batch size must be an integer ≥ 1, got ${max}`);
    if (!(budgetMs > 0)) throw new RangeError(`time budget must be > 0 ms, got ${budgetMs}`);
    this.max = max;
    this.budgetMs = budgetMs;
    this.sizes = pacedSizes(max);
    this.current = this.fit(Math.max(1, Math.min(max, start)));
  }

  /** The size of the next batch. */
  get size(): number {
    return this.current;
  }

  /** Estimated ms per image so far (undefined before the first batch). */
  get msPerItem(): number | undefined {
    return this.perItem;
  }

  /**
   * Records that a batch of `items` images took `ms`, and picks the next size: a slower batch counts at once
   * (the next batch shrinks), a faster one is averaged in (the next batch grows at most twofold).
   */
  record(items: number, ms: number): void {
    if (!(items >= 1) || !(ms >= 0)) return;
    const observed = ms / items;
    this.perItem = this.perItem === undefined || observed > this.perItem ? observed : (this.perItem + observed) / 2;
    const affordable = this.perItem > 0 ? Math.floor(this.budgetMs / this.perItem) : this.max;
    this.current = this.fit(Math.max(1, Math.min(affordable, this.current * 2, this.max)));
  }

  /** The largest allowed size ≤ n. */
  private fit(n: number): number {
    let best = 1;
    for (const s of this.sizes) if (s <= n) best = s;
    return best;
  }
}
