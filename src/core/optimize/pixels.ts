import * as tf from '@tensorflow/tfjs';
import type { Prediction } from '../classify';
import { IMAGENET_LABELS } from '../labels';
import { modelInputToImage, type RgbaImage } from '../preprocess';
import type { ConvNet } from '../network';
import { PIXEL_SCALE } from './units';
import { DIFFERENCE_GAIN } from './defaults';
import { InvalidInputError } from '../errors';

/**
 * Helpers around 8-bit pixels. Results are saved as PNGs, so every mode reports on the image rounded to 8 bits —
 * the picture a user can reload — not on the float image the loop ended with.
 */

/** Model-space image rounded to the 8-bit pixel grid (and clipped to 0..255). */
export function quantize(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.div(tf.clipByValue(tf.round(tf.mul(tf.add(x, 1), PIXEL_SCALE)), 0, 255), PIXEL_SCALE), 1));
}

/**
 * Rounds to 8-bit pixels without leaving the L∞ ball of `eps` pixel levels around `center`: each pixel is rounded,
 * then clamped to the integers in [center − eps, center + eps] (non-empty for eps ≥ 1). The bounds are pulled in
 * by 1e-3 levels so that float32 rounding of `center` cannot put a bound a hair outside the ball.
 */
export function quantizeInBall(x: tf.Tensor4D, center: tf.Tensor4D, eps: number): tf.Tensor4D {
  const margin = 1e-3;
  return tf.tidy(() => {
    const toPixels = (t: tf.Tensor): tf.Tensor => tf.mul(tf.add(t, 1), PIXEL_SCALE);
    const c = toPixels(center);
    const lo = tf.maximum(tf.ceil(tf.sub(c, eps - margin)), 0);
    const hi = tf.minimum(tf.floor(tf.add(c, eps - margin)), 255);
    const q = tf.minimum(tf.maximum(tf.round(toPixels(x)), lo), hi);
    return tf.sub(tf.div(q, PIXEL_SCALE), 1);
  });
}

/** ‖x − center‖∞ and ‖x − center‖₂ in pixel units (per batch, over everything). */
export async function perturbationNorms(x: tf.Tensor, center: tf.Tensor): Promise<{ linf: number; l2: number }> {
  const d = tf.tidy(() => tf.mul(tf.sub(x, center), PIXEL_SCALE));
  const values = await d.data();
  d.dispose();
  let linf = 0;
  let sq = 0;
  for (const v of values) {
    linf = Math.max(linf, Math.abs(v));
    sq += v * v;
  }
  return { linf, l2: Math.sqrt(sq) };
}

/** Probabilities of each image of a batch. */
export async function probabilities(net: ConvNet, x: tf.Tensor4D): Promise<Float32Array[]> {
  const taps = net.run(x, { probabilities: true });
  const data = (await taps.probabilities!.data()) as Float32Array;
  taps.probabilities!.dispose();
  return Array.from({ length: x.shape[0] }, (_, i) => data.subarray(i * net.numClasses, (i + 1) * net.numClasses));
}

/** Index of the largest value (the first one on ties; 0 for an empty array). Plain arrays only, no tensors. */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * The Prediction of class `index` (default the most probable) from a probability vector of numClasses entries (0–1):
 * index, label and probability.
 */
export function prediction(probs: ArrayLike<number>, index = argMax(probs), labels: readonly string[] = IMAGENET_LABELS): Prediction {
  return { index, label: labels[index] ?? `class ${index}`, probability: probs[index]! };
}

/** Top-1 class of each image of a batch (row argmax of the logits; no softmax needed). */
export async function topClasses(net: ConvNet, x: tf.Tensor4D): Promise<number[]> {
  const taps = net.run(x, { logits: true });
  const best = tf.argMax(taps.logits!, 1);
  const out = Array.from(await best.data());
  tf.dispose([best, taps.logits!]);
  return out;
}

/**
 * The difference adversarial − original as a picture, magnified `gain` times around mid-grey (the lecture shows
 * it ×10): 127.5 + gain · (adv − orig) in pixel levels.
 */
export function differenceImage(adversarial: tf.Tensor4D, original: tf.Tensor4D, gain = DIFFERENCE_GAIN): Promise<RgbaImage> {
  const d = tf.tidy(() => tf.mul(tf.sub(adversarial, original), gain) as tf.Tensor4D);
  return modelInputToImage(d).finally(() => d.dispose());
}

/**
 * The `percentile` (0, 100] of |t| over all its elements, as a scalar tensor: the smallest of the top
 * ceil(size · (100 − percentile) / 100) magnitudes (at least the largest one). For use inside a tidy.
 */
function magnitudePercentile(t: tf.Tensor, percentile: number): tf.Scalar {
  const magnitudes = tf.reshape(tf.abs(t), [-1]);
  const k = Math.max(1, Math.ceil((magnitudes.size * (100 - percentile)) / 100));
  return tf.min(tf.topk(magnitudes, k).values);
}

/**
 * A perturbation as a picture, stretched for visibility as the UAP paper shows them: 0 is mid-grey and the 99th
 * percentile of |v| black or white (a DeepFool-built v often stays far below its ε and has a few outliers, so
 * neither ±ε nor max |v| scaling shows its pattern).
 */
export async function perturbationImage(v: tf.Tensor4D): Promise<RgbaImage> {
  const scaled = tf.tidy(() => tf.div(v, tf.maximum(magnitudePercentile(v, 99), 1e-12)) as tf.Tensor4D);
  return modelInputToImage(scaled).finally(() => scaled.dispose());
}

/**
 * A universal perturbation as the lecture shows a difference: 127.5 + gain · v in pixel levels (v in model space,
 * [1, S, S, 3]), so ε = 10 levels spans ±100 around mid-grey at the default ×10. Returns S×S RGBA.
 */
export function amplifiedPerturbation(v: tf.Tensor4D, gain = DIFFERENCE_GAIN): Promise<RgbaImage> {
  const d = tf.tidy(() => tf.mul(v, gain) as tf.Tensor4D);
  return modelInputToImage(d).finally(() => d.dispose());
}

/** Options of raiseContrast: which magnitude is brought to which level. */
export interface ContrastOptions {
  /** Percentile of |atanh(x)| over all pixels and channels that is brought to `level`, in (0, 100]; default 99. */
  percentile?: number;
  /** Model-space level that percentile reaches, in (0, 1); default 0.9 (≈ 242 of 255 above mid-grey's 128). */
  level?: number;
}

/**
 * Raises the contrast of a sigmoid-made image (model space, strictly inside (−1, 1): x = tanh(z/2) for the
 * parameterisation's pre-sigmoid z, fourierParameterisation) without changing its hues or structure: z is scaled by
 * g = max(1, atanh(level) / P), P the `percentile` of |atanh(x)|, and the image remade as tanh(g · atanh(x)). A
 * few dozen Fourier steps leave a pale picture (the 1/f-scaled spectrum grows by about the learning rate per step);
 * this is the display stretch feature-visualisation tools apply (deepvis, Keras' deprocess), done in z so that
 * nothing clips. Never lowers contrast (g ≥ 1). Returns a new tensor of x's shape; the caller disposes it. Throws
 * InvalidInputError for a percentile outside (0, 100] or a level outside (0, 1).
 */
export function raiseContrast(x: tf.Tensor4D, { percentile = 99, level = 0.9 }: ContrastOptions = {}): tf.Tensor4D {
  if (!(percentile > 0 && percentile <= 100)) throw new InvalidInputError(`contrast percentile must be in (0, 100], got ${percentile}`);
  if (!(level > 0 && level < 1)) throw new InvalidInputError(`contrast level must be in (0, 1), got ${level}`);
  return tf.tidy(() => {
    const z = tf.atanh(tf.clipByValue(x, -0.999999, 0.999999));
    const gain = tf.maximum(tf.div(Math.atanh(level), tf.maximum(magnitudePercentile(z, percentile), 1e-6)), 1);
    return tf.tanh(tf.mul(z, gain)) as tf.Tensor4D;
  });
}
