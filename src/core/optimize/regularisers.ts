import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import type { Rng } from './random';

/**
 * Regularisers shape what the optimisation may produce. They act at three points of a step:
 * - `penalty`: a differentiable term on the image subtracted from the objective (λ‖x‖², total variation);
 * - `transform`: a random change of the input for this step whose gradient is mapped back (jitter);
 * - `apply`: an operator on the image after the update (decay, blur, clipping of small pixels), as Yosinski et
 *   al. describe theirs: r_θ(x) applied between gradient steps.
 */
export interface Regulariser {
  readonly name: string;
  penalty?(x: tf.Tensor4D): tf.Scalar;
  transform?(x: tf.Tensor4D, ctx: TransformContext): InputTransform;
  apply?(x: tf.Tensor4D, ctx: ApplyContext): tf.Tensor4D;
}

/**
 * What a regulariser's transform gets each step: the step index (0-based) and the run's seeded random stream, so the
 * seed fixes every random choice.
 */
export interface TransformContext {
  step: number;
  rng: Rng;
}

/** One step's transformed input (e.g. x rolled by a random jitter offset) and how to map its gradient back onto x. */
export interface InputTransform {
  /** The transformed image the network sees this step, shaped like x. */
  input: tf.Tensor4D;
  /** Maps ∂/∂input back to ∂/∂x. */
  undo(gradient: tf.Tensor4D): tf.Tensor4D;
}

/**
 * What a regulariser's `apply` operator gets after each update: step index (0-based), step budget and the step's
 * gradient.
 */
export interface ApplyContext {
  step: number;
  steps: number;
  /** The step's ascent gradient on x (for contribution-based clipping). */
  gradient: tf.Tensor4D;
}

function check(cond: boolean, message: string): void {
  if (!cond) throw new InvalidInputError(message);
}

/** Simonyan et al.: penalty λ‖x‖² (x in model units, summed over pixels, per image). */
export function l2Penalty(lambda: number): Regulariser {
  check(Number.isFinite(lambda) && lambda >= 0, `L2 weight must be ≥ 0, got ${lambda}`);
  return { name: `L2 penalty λ=${lambda}`, penalty: (x) => tf.mul(tf.sum(tf.square(x)), lambda / x.shape[0]) };
}

/** Yosinski et al.'s L2 decay: x ← (1 − θ_decay)·x after each step. */
export function l2Decay(rate: number): Regulariser {
  check(Number.isFinite(rate) && rate >= 0 && rate < 1, `decay must be in [0, 1), got ${rate}`);
  return { name: `L2 decay ${rate}`, apply: (x) => tf.mul(x, 1 - rate) };
}

/** 1-D Gaussian taps for σ, radius ⌈3σ⌉ (at least 1), normalised to sum 1. */
export function gaussianKernel(sigma: number): number[] {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / sum);
}

/** Separable Gaussian blur of each channel, mirrored at the borders (no dark frame). */
export function blur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  const taps = gaussianKernel(sigma);
  const radius = (taps.length - 1) / 2;
  const channels = x.shape[3];
  return tf.tidy(() => {
    const k = tf.tensor1d(taps);
    const horizontal = tf.tile(tf.reshape(k, [1, taps.length, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
    const vertical = tf.tile(tf.reshape(k, [taps.length, 1, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
    const padded = tf.mirrorPad(x, [[0, 0], [radius, radius], [radius, radius], [0, 0]], 'symmetric');
    const h = tf.depthwiseConv2d(padded, horizontal, 1, 'valid');
    return tf.depthwiseConv2d(h, vertical, 1, 'valid');
  });
}

/** Yosinski et al.: Gaussian blur of width σ (pixels) every `every` steps. */
export function gaussianBlur({ sigma, every }: { sigma: number; every: number }): Regulariser {
  check(Number.isFinite(sigma) && sigma > 0, `blur radius must be > 0, got ${sigma}`);
  check(Number.isInteger(every) && every >= 1, `blur interval must be a positive integer, got ${every}`);
  return {
    name: `blur σ=${sigma} every ${every}`,
    apply: (x, { step }) => ((step + 1) % every === 0 ? blur(x, sigma) : x),
  };
}

/**
 * Zeroes (sets to mid-grey, the model's 0) the pixels of `score` [B, H, W] below its `percentile`-th percentile,
 * per image. The threshold is the k-th largest score, found with topk.
 */
function zeroBelowPercentile(x: tf.Tensor4D, score: tf.Tensor3D, percentile: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w] = score.shape;
    const keep = Math.max(1, Math.round(h * w * (1 - percentile / 100)));
    const flat = tf.reshape(score, [b, h * w]);
    const threshold = tf.reshape(tf.min(tf.topk(flat, keep).values, 1), [b, 1, 1]);
    const mask = tf.expandDims(tf.cast(tf.greaterEqual(score, threshold), 'float32'), 3);
    return tf.mul(x, mask);
  });
}

function checkPercentile(p: number): void {
  check(Number.isFinite(p) && p >= 0 && p < 100, `percentile must be in [0, 100), got ${p}`);
}

/** Yosinski et al.: pixels whose RGB norm is below the θ_n percentile are set to zero. */
export function clipSmallNorm(percentile: number): Regulariser {
  checkPercentile(percentile);
  return {
    name: `clip norm < p${percentile}`,
    apply: (x) => (percentile === 0 ? x : zeroBelowPercentile(x, tf.sqrt(tf.sum(tf.square(x), 3)) as tf.Tensor3D, percentile)),
  };
}

/**
 * Yosinski et al.: pixels with small contribution are set to zero. Setting pixel i to 0 changes the activation by
 * about −x_i·∇x_i (first order); the channel sum, in absolute value, is the contribution in either direction.
 */
export function clipSmallContribution(percentile: number): Regulariser {
  checkPercentile(percentile);
  return {
    name: `clip contribution < p${percentile}`,
    apply: (x, { gradient }) =>
      percentile === 0 ? x : zeroBelowPercentile(x, tf.abs(tf.sum(tf.mul(x, gradient), 3)) as tf.Tensor3D, percentile),
  };
}

/** Circular shift by (dy, dx) pixels, exactly invertible (its inverse is the opposite shift). */
export function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    // gather, not slice + concat: slicing along the width axis is ~10× slower on the CPU backend.
    const along = (n: number, shift: number): tf.Tensor1D => tf.tensor1d(Array.from({ length: n }, (_, i) => (((i - shift) % n) + n) % n), 'int32');
    let y = x;
    if (dy % h !== 0) y = tf.gather(y, along(h, dy), 1);
    if (dx % w !== 0) y = tf.gather(y, along(w, dx), 2);
    return y === x ? tf.clone(x) : y;
  });
}

/**
 * Lucid's jitter: the network sees the image shifted by a random offset of up to `pixels` in each direction every
 * step, so no pattern can rely on exact pixel positions (suppresses high-frequency noise).
 */
export function jitter(pixels: number): Regulariser {
  check(Number.isInteger(pixels) && pixels >= 0, `jitter must be a non-negative integer, got ${pixels}`);
  return {
    name: `jitter ±${pixels}px`,
    transform: (x, { rng }) => {
      const dy = rng.int(-pixels, pixels);
      const dx = rng.int(-pixels, pixels);
      return { input: roll(x, dy, dx), undo: (g) => roll(g, -dy, -dx) };
    },
  };
}

/**
 * Total variation V^β with β = 2 (Mahendran & Vedaldi): weight × Σ of squared differences between neighbouring
 * pixels (per image), so its gradient per pixel, like λ‖x‖²'s, does not depend on the image size.
 */
export function totalVariation(weight: number): Regulariser {
  check(Number.isFinite(weight) && weight >= 0, `TV weight must be ≥ 0, got ${weight}`);
  return {
    name: `TV λ=${weight}`,
    penalty: (x) => tf.mul(totalVariationOf(x), weight),
  };
}

/**
 * Squared total variation of a batch [N, H, W, C]: Σ over channels and positions (y < H − 1, x < W − 1) of (x[y+1, x]
 * − x[y, x])² + (x[y, x+1] − x[y, x])², divided by N (per image); a scalar in model units² (Mahendran & Vedaldi 2015,
 * TV with β = 2). The caller disposes it; differentiable.
 */
export function totalVariationOf(x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    // Both neighbour differences as one depthwise convolution (channel multiplier 2): slicing along the width
    // axis, and its gradient, are slow on the CPU backend.
    const c = x.shape[3];
    const k = tf.tensor4d([-1, -1, 0, 1, 1, 0, 0, 0], [2, 2, 1, 2]); // [kh, kw, 1, (dy, dx)]
    const diffs = tf.depthwiseConv2d(x, tf.tile(k, [1, 1, c, 1]) as tf.Tensor4D, 1, 'valid');
    return tf.div(tf.sum(tf.square(diffs)), x.shape[0]) as tf.Scalar;
  });
}
