import * as tf from '@tensorflow/tfjs';
import { inputGradient } from './gradient';
import { throwIfAborted, untilAborted, yieldToEventLoop } from '../cancel';
import { BatchPacer } from '../pacing';
import { resolveTarget, targetRequest, targetScores } from '../target';
import { INTEGRATED_GRADIENTS_DEFAULTS } from './defaults';
import type { AttributionMethod, AttributionOptions } from './types';

export { INTEGRATED_GRADIENTS_DEFAULTS, INTEGRATED_GRADIENTS_DISPLAY } from './defaults';

/** Options of integratedGradients (Sundararajan et al. 2017); any left out take INTEGRATED_GRADIENTS_DEFAULTS. */
export interface IntegratedGradientsOptions extends AttributionOptions {
  /**
   * Riemann steps along the path (midpoint rule). Given: exactly this many, and the completeness gap is reported
   * (extras.relativeGap) however large. Omitted: adaptive, see `tolerance`.
   */
  steps?: number;
  /**
   * Adaptive steps only: largest accepted relative completeness gap |Σ attributions − (F(x) − F(x′))| / |F(x) − F(x′)|
   * (default IG_TOLERANCE = 0.05). The path is refined (steps × 3, reusing every gradient already taken) from
   * IG_START_STEPS until the gap is under it or IG_MAX_STEPS is reached.
   */
  tolerance?: number;
  /** Baseline image: black (the usual choice) or mid-grey. */
  baseline?: 'black' | 'gray';
  /** Interpolated images per gradient pass (at most, when paced: see `paceMs`). */
  batchSize?: number;
  /**
   * Adaptive steps only: refine no further than this many steps (default IG_MAX_STEPS = 864; the first
   * IG_START_STEPS are always taken). The gap is reported however large it stays.
   */
  maxSteps?: number;
}

/** Adaptive steps start here (INTEGRATED_GRADIENTS_DEFAULTS.startSteps). */
export const IG_START_STEPS = INTEGRATED_GRADIENTS_DEFAULTS.startSteps;
/** … and stop refining here (INTEGRATED_GRADIENTS_DEFAULTS.maxSteps). */
export const IG_MAX_STEPS = INTEGRATED_GRADIENTS_DEFAULTS.maxSteps;
/** Default tolerance on the relative completeness gap (INTEGRATED_GRADIENTS_DEFAULTS.tolerance). */
export const IG_TOLERANCE = INTEGRATED_GRADIENTS_DEFAULTS.tolerance;

/** The relative completeness gap: |delta| / |F(x) − F(x′)| (Infinity when the score does not change but the sum does). */
export function relativeGap(delta: number, scoreDifference: number): number {
  if (delta === 0) return 0;
  return Math.abs(scoreDifference) > 0 ? Math.abs(delta) / Math.abs(scoreDifference) : Number.POSITIVE_INFINITY;
}

/**
 * Integrated Gradients (Sundararajan et al. 2017): (x − x′) ⊙ ∫₀¹ ∂F(x′ + α(x − x′))/∂x dα, summed over colour
 * channels, the integral by the midpoint rule. The map is its absolute value; `signed` keeps the sign.
 *
 * Completeness (the paper's axiom) says the attributions sum to F(x) − F(x′); the midpoint rule misses it by the
 * integration error. `extras` reports it as Captum does (`convergenceDelta` = Σ attributions − (F(x) − F(x′)), the
 * "convergence delta" of captum.attr.IntegratedGradients) and relative to the score difference (`relativeGap`),
 * with `attributionSum`, `scoreDifference`, `steps` and `tolerance`. Without `options.steps` the number of steps
 * adapts: IG_START_STEPS, then ×3 (the old midpoints are midpoints of the finer grid, so no gradient is taken twice)
 * until relativeGap ≤ tolerance or IG_MAX_STEPS. On the shared photos with the lite model the gap at 32 steps was
 * up to 21 %, which is why a fixed small default is not used.
 */
export const integratedGradients: AttributionMethod<IntegratedGradientsOptions> = async (net, input, options) => {
  const { signal, onProgress } = options;
  const d = INTEGRATED_GRADIENTS_DEFAULTS;
  const { baseline = d.baseline, batchSize = d.batchSize } = options;
  const fixed = options.steps;
  if (fixed !== undefined && !(Number.isInteger(fixed) && fixed >= 1)) throw new RangeError(`integrated gradients: steps must be a positive integer, got ${fixed}`);
  const tolerance = options.tolerance ?? d.tolerance;
  const maxSteps = options.maxSteps ?? IG_MAX_STEPS;
  if (!(Number.isInteger(maxSteps) && maxSteps >= 1)) throw new RangeError(`integrated gradients: maxSteps must be a positive integer, got ${maxSteps}`);
  const target = await resolveTarget(net, input.tensor, options.target);
  const x = input.tensor;
  const base = tf.fill(x.shape, baseline === 'black' ? -1 : 0) as tf.Tensor4D;
  const diff = tf.sub(x, base) as tf.Tensor4D;
  let gradSum = tf.zerosLike(x) as tf.Tensor4D;
  try {
    // F(x) and F(x′) first: the gap is checked after every refinement.
    const both = tf.concat([x, base]) as tf.Tensor4D;
    const ends = net.run(both, targetRequest(target));
    both.dispose();
    const scoreT = tf.tidy(() => targetScores(ends, target));
    const [fx, fBase] = await scoreT.data();
    tf.dispose([scoreT, ...Object.values(ends.activations), ends.logits]);
    const scoreDifference = fx! - fBase!;

    /**
     * Adds the gradients at path positions `alphas` to gradSum, in passes of `batchSize` or sized by time
     * (`paceMs`). One value of the running sum is read back after each pass, so the GPU queue stays one pass deep:
     * progress is real and a cancel acts at once instead of after the queued passes drain.
     */
    const pacer = new BatchPacer({ max: Math.max(1, batchSize), ...(options.paceMs !== undefined ? { budgetMs: options.paceMs } : { start: Math.max(1, batchSize), budgetMs: Number.POSITIVE_INFINITY }) });
    const integrate = async (alphas: number[], done: number, total: number): Promise<void> => {
      for (let start = 0; start < alphas.length; ) {
        await yieldToEventLoop();
        throwIfAborted(signal);
        const t0 = performance.now();
        const chunk = alphas.slice(start, start + pacer.size);
        const path = tf.tidy(() => tf.add(base, tf.mul(tf.tensor4d(chunk, [chunk.length, 1, 1, 1]), diff)) as tf.Tensor4D);
        const g = inputGradient(net, path, target);
        const next = tf.tidy(() => tf.add(gradSum, tf.sum(g, 0, true)) as tf.Tensor4D);
        tf.dispose([path, g, gradSum]);
        gradSum = next;
        const probe = tf.slice(next, [0, 0, 0, 0], [1, 1, 1, 1]);
        try {
          await untilAborted(probe.data(), signal);
        } finally {
          probe.dispose();
        }
        pacer.record(chunk.length, performance.now() - t0);
        start += chunk.length;
        onProgress?.(done + start, total);
      }
    };
    const sumAt = async (steps: number): Promise<number> => {
      const s = tf.tidy(() => tf.div(tf.sum(tf.mul(diff, gradSum)), steps));
      const [v] = await s.data();
      s.dispose();
      return v!;
    };

    let steps = fixed ?? IG_START_STEPS;
    await integrate(
      Array.from({ length: steps }, (_, k) => (k + 0.5) / steps),
      0,
      steps,
    );
    let attributionSum = await sumAt(steps);
    while (fixed === undefined && relativeGap(attributionSum - scoreDifference, scoreDifference) > tolerance && steps * 3 <= maxSteps) {
      const finer = steps * 3;
      // The finer grid's midpoints (j + ½)/3n: j = 3k + 1 are the old ones; j = 3k and 3k + 2 are new.
      const fresh = Array.from({ length: steps }, (_, k) => [(3 * k + 0.5) / finer, (3 * k + 2.5) / finer]).flat();
      await integrate(fresh, steps, finer);
      steps = finer;
      attributionSum = await sumAt(steps);
    }

    const signedT = tf.tidy(() => tf.sum(tf.mul(diff, tf.div(gradSum, steps)), -1).reshape([-1]));
    const signed = (await signedT.data()) as Float32Array;
    signedT.dispose();
    const data = new Float32Array(signed.length);
    attributionSum = 0; // the reported sum in double precision, of the values returned
    for (let i = 0; i < signed.length; i++) {
      attributionSum += signed[i]!;
      data[i] = Math.abs(signed[i]!);
    }
    const convergenceDelta = attributionSum - scoreDifference;
    const [, height, width] = x.shape;
    return {
      method: 'integrated-gradients',
      width,
      height,
      data,
      signed,
      crop: input.crop,
      target,
      extras: { attributionSum, scoreDifference, convergenceDelta, relativeGap: relativeGap(convergenceDelta, scoreDifference), steps, tolerance },
    };
  } finally {
    tf.dispose([base, diff, gradSum]);
  }
};
