import type * as tf from '@tensorflow/tfjs';
import type { ConvNet } from '../network';
import type { ModelInput } from '../preprocess';
import { type Fill, type MaskedEvaluator, type ScoreKind, balancedBatchSize, maskedEvaluator } from './masking';
import { throwIfAborted } from '../cancel';
import { BatchPacer } from '../pacing';
import { InvalidInputError } from '../errors';
import { type Target, checkTarget, resolveTarget } from '../target';
import { OCCLUSION_DEFAULTS } from './defaults';
import type { AttributionMap, AttributionMethod, AttributionOptions } from './types';

export { FINE_OCCLUSION, OCCLUSION_DEFAULTS, OCCLUSION_DISPLAY } from './defaults';

/** Options of occlusion and OcclusionSweep; any left out (or undefined) take OCCLUSION_DEFAULTS. */
export interface OcclusionOptions extends AttributionOptions {
  /** Side of the square occluder, in model-input pixels (of 224). */
  patch?: number;
  /** Step between occluder positions, in model-input pixels. */
  stride?: number;
  /** What the occluder shows (default 'gray', model-space 0). */
  fill?: Fill;
  /** Occluded images per forward pass (at most, when paced). */
  batchSize?: number;
  /** Score whose drop is mapped: 'probability' (default, as Zeiler & Fergus plot it) or 'logit'. */
  score?: ScoreKind;
}

/** Top-left corners along one axis so that patches of `patch` pixels with `stride` cover 0..size−1. */
function starts(size: number, patch: number, stride: number): number[] {
  const out: number[] = [];
  for (let s = 0; s + patch <= size; s += stride) out.push(s);
  if (out.length === 0 || out.at(-1)! + patch < size) out.push(Math.max(0, size - patch));
  return out;
}

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014), computed incrementally: `step()` evaluates one batch of patch
 * positions and the map refines as it goes (the live view spreads this over frames); `occlusion()` runs it to
 * the end. Each pixel's value is the mean drop of the target score over the patches that cover it.
 */
export class OcclusionSweep {
  readonly positions: { x: number; y: number }[];
  private readonly evaluator: MaskedEvaluator;
  private readonly size: number;
  private readonly patch: number;
  private readonly sum: Float32Array;
  private readonly count: Float32Array;
  private baseline: number | undefined;
  private next = 0;

  constructor(
    net: ConvNet,
    private readonly input: ModelInput,
    private readonly options: OcclusionOptions & { target: Target },
  ) {
    checkTarget(net, options.target);
    const { patch, stride, fill, batchSize, score } = { ...OCCLUSION_DEFAULTS, ...definedOf(options) };
    if (!(Number.isInteger(patch) && Number.isInteger(stride) && patch >= 1 && stride >= 1)) {
      throw new InvalidInputError(`occlusion patch and stride must be whole pixels ≥ 1, got patch ${patch}, stride ${stride}`);
    }
    this.size = net.inputSize;
    this.patch = Math.min(patch, this.size);
    // A stride longer than the patch leaves stripes no patch ever covers; they would read as "unimportant".
    if (stride > this.patch) {
      throw new InvalidInputError(`occlusion stride ${stride} is larger than the patch ${this.patch}: pixels between patches would never be occluded (use a stride ≤ the patch)`);
    }
    const axis = starts(this.size, this.patch, stride);
    this.positions = axis.flatMap((y) => axis.map((x) => ({ x, y })));
    // One batch size for the whole sweep (+1: the unoccluded baseline rides in the first batch).
    const perPass = balancedBatchSize(this.positions.length + 1, batchSize);
    this.evaluator = maskedEvaluator(net, input.tensor as tf.Tensor4D, options.target, { fill, score, batchSize: perPass, pacer: options.paceMs !== undefined ? new BatchPacer({ max: perPass, budgetMs: options.paceMs }) : undefined });
    this.sum = new Float32Array(this.size * this.size);
    this.count = new Float32Array(this.size * this.size);
  }

  get done(): boolean {
    return this.next >= this.positions.length;
  }

  get progress(): number {
    return this.next / this.positions.length;
  }

  /** Evaluates the next batch of positions (the first batch also scores the unoccluded image). */
  async step(): Promise<void> {
    if (this.done) return;
    const size = this.size;
    const full = (): Float32Array => new Float32Array(size * size).fill(1);
    const withBaseline = this.baseline === undefined;
    const batch = this.positions.slice(this.next, this.next + this.evaluator.batchSize - (withBaseline ? 1 : 0));
    const masks = batch.map(({ x, y }) => () => {
      const m = full();
      for (let r = y; r < y + this.patch; r++) m.fill(0, r * size + x, r * size + x + this.patch);
      return m;
    });
    const scores = await this.evaluator.evaluate(withBaseline ? [full, ...masks] : masks, { signal: this.options.signal });
    const offset = withBaseline ? 1 : 0;
    if (withBaseline) this.baseline = scores[0]!;
    batch.forEach(({ x, y }, i) => {
      const drop = this.baseline! - scores[i + offset]!;
      for (let r = y; r < y + this.patch; r++) {
        for (let c = x; c < x + this.patch; c++) {
          this.sum[r * size + c] = this.sum[r * size + c]! + drop;
          this.count[r * size + c] = this.count[r * size + c]! + 1;
        }
      }
    });
    this.next += batch.length;
  }

  /**
   * Share of the input's pixels that the positions evaluated so far have occluded at least once (1 when the sweep
   * is done: the positions include the last row and column, and the stride never exceeds the patch).
   */
  coverage(): number {
    let covered = 0;
    for (const c of this.count) if (c > 0) covered++;
    return covered / this.count.length;
  }

  /** The map so far (pixels not yet covered are 0); extras.coverage says how much is covered. */
  map(): AttributionMap {
    const signed = new Float32Array(this.sum.length);
    const data = new Float32Array(this.sum.length);
    for (let i = 0; i < signed.length; i++) {
      signed[i] = this.count[i]! > 0 ? this.sum[i]! / this.count[i]! : 0;
      data[i] = Math.max(0, signed[i]!);
    }
    return {
      method: 'occlusion',
      width: this.size,
      height: this.size,
      data,
      signed,
      crop: this.input.crop,
      target: this.options.target,
      extras: { baselineScore: this.baseline ?? Number.NaN, positions: this.positions.length, patch: this.patch, coverage: this.coverage() },
    };
  }

  dispose(): void {
    this.evaluator.dispose();
  }

  async run(): Promise<AttributionMap> {
    while (!this.done) {
      throwIfAborted(this.options.signal);
      await this.step();
      this.options.onProgress?.(this.next, this.positions.length);
    }
    return this.map();
  }
}

/** The options that are set (an explicit `undefined` must not override a default). */
function definedOf<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014) under the common attribution signature ('top' resolved with one
 * forward pass first): runs an OcclusionSweep to the end. Map [224, 224]: each pixel the mean drop of the target
 * score (probability by default, else logit) over the patches covering it; `data` keeps the positive part (drops),
 * `signed` the raw means (negative where hiding a patch raised the score). Throws InvalidInputError for a patch or
 * stride that is not a whole number ≥ 1 or a stride larger than the patch; rejects with AbortError when cancelled.
 */
export const occlusion: AttributionMethod<OcclusionOptions> = async (net, input, options) => {
  const target = await resolveTarget(net, input.tensor, options.target);
  const sweep = new OcclusionSweep(net, input, { ...options, target });
  try {
    return await sweep.run();
  } finally {
    sweep.dispose();
  }
};
