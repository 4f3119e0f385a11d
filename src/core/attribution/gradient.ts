import * as tf from '@tensorflow/tfjs';
import { throwIfAborted, yieldToEventLoop } from '../cancel';
import { createRng, normalValues } from '../optimize/random';
import { InvalidInputError } from '../errors';
import { type ConvNet, type ReluMode, type TapRequest, type Taps, disposeTaps } from '../network';
import type { ModelInput } from '../preprocess';
import { type Target, type TargetChoice, checkTarget, checkTargetChoice, targetObjective, targetRequest, targetScores, topClassOf } from '../target';
import type { SmoothingSettings } from './defaults';
import type { AttributionMap, AttributionMethod, AttributionOptions } from './types';

export { GRADIENT_DISPLAY } from './defaults';

/**
 * Gradient saliency, the one gradient method behind vanilla saliency, guided backprop and SmoothGrad (and the
 * live view): ∂score/∂input from the model adapter's differentiable pass, with the rectifier rule as a parameter.
 *
 * - Rule 'plain': the true gradient (Simonyan, Vedaldi & Zisserman 2014, "Deep inside convolutional networks").
 * - Rule 'guided': guided backpropagation (Springenberg et al. 2015): at every ReLU6 the gradient passes only
 *   where the unit was in its linear range (0 < x < 6, ReLU6's own derivative) AND only where it is positive.
 *   The saturated side (x ≥ 6) blocks the gradient, as ReLU6's derivative does; a rule that masks with x > 0 alone
 *   (as one popular peer library does) leaks gradient through saturated units.
 *
 * The map is Simonyan's: the maximum over the colour channels of |gradient|, shape [224, 224], values ≥ 0 in
 * logit units per model-input unit (inputs span [−1, 1]).
 */

export interface SaliencyPassOptions {
  target: TargetChoice;
  /** Rectifier rule of the backward pass (default 'plain'). */
  rule?: ReluMode;
  /** SmoothGrad: average over noisy copies instead of the single clean gradient. */
  smoothing?: SmoothingSettings;
  /** Taps of the clean input wanted from the same pass (the live view's top-5, activations, features). */
  taps?: TapRequest;
  /** Noisy copies per differentiable pass when smoothing (default 8). */
  batchSize?: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** What one saliency computation yields, as tensors the caller owns. */
export interface SaliencyPass {
  /** The saliency map, [H, W] (224 × 224), values ≥ 0. */
  map: tf.Tensor2D;
  /** The taps asked for, of the clean input only (batch of 1); with target 'top' they include its logits. */
  taps: Taps;
}

function mergeRequests(a: TapRequest, b: TapRequest | undefined): TapRequest {
  return {
    layers: [...new Set([...(a.layers ?? []), ...(b?.layers ?? [])])],
    logits: Boolean(a.logits || b?.logits),
    probabilities: Boolean(b?.probabilities),
    features: Boolean(b?.features),
  };
}

/** Row 0 of every tapped tensor. */
function firstRow(taps: Taps): Taps {
  const row = <T extends tf.Tensor>(t: T): T => tf.slice(t, t.shape.map(() => 0), t.shape.map((d, i) => (i === 0 ? 1 : d))) as T;
  const out: Taps = { activations: {} };
  for (const [name, t] of Object.entries(taps.activations)) out.activations[name] = row(t);
  if (taps.logits) out.logits = row(taps.logits);
  if (taps.probabilities) out.probabilities = row(taps.probabilities);
  if (taps.features) out.features = row(taps.features);
  return out;
}

/** max over the colour axis of |g| (Simonyan's reduction): [N, H, W, 3] → [N, H, W]. */
function reduceMap(gradient: tf.Tensor4D): tf.Tensor3D {
  return tf.max(tf.abs(gradient), -1);
}

/**
 * Noisy copies `from … from+n−1` of a [1, H, W, 3] input: x + σ·z with z ~ N(0, 1) drawn from the seeded
 * stream `seed + i` (core/optimize/random) and σ = noise × (max(x) − min(x)).
 */
export function noisyCopies(input: tf.Tensor4D, settings: SmoothingSettings, from: number, n: number): tf.Tensor4D {
  return tf.tidy(() => {
    const sigma = tf.mul(tf.sub(tf.max(input), tf.min(input)), settings.noise);
    // The project's seeded stream (mulberry32 + Box–Muller), not tf.randomNormal: its seed 0 silently means
    // "unseeded" and its stream depends on the tfjs version. Copy k's noise is stream seed + from + k; the n
    // streams go into one [n, H, W, 3] tensor so the batch is one multiply and one add (kernels per live frame).
    const [, h, w, c] = input.shape;
    const size = h * w * c;
    const z = new Float32Array(n * size);
    for (let k = 0; k < n; k++) z.set(normalValues(createRng(settings.seed + from + k), size, 1), k * size);
    return tf.add(input, tf.mul(tf.tensor4d(z, [n, h, w, c]), sigma));
  });
}

/**
 * Saliency of the first image of `input` ([1, H, W, 3], model space): one differentiable pass for the plain or
 * guided gradient; with `smoothing`, noisy copies in batches (the clean image rides in the first batch when its
 * taps or its top class are needed — its own gradient is not part of the average).
 * Errors: InvalidInputError / UnknownLayerError for a bad target; AbortError when cancelled between batches.
 */
export async function saliencyPass(net: ConvNet, input: tf.Tensor4D, options: SaliencyPassOptions): Promise<SaliencyPass> {
  checkTargetChoice(net, options.target);
  const rule = options.rule ?? 'plain';
  const first = input.shape[0] === 1 ? input : (tf.slice(input, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
  try {
    if (!options.smoothing) {
      const request = mergeRequests(targetRequest(options.target), options.taps);
      const result = net.gradient(first, request, targetObjective(options.target), { relu: rule });
      const map = tf.tidy(() => tf.reshape(reduceMap(result.gradient as tf.Tensor4D), first.shape.slice(1, 3) as [number, number]) as tf.Tensor2D);
      tf.dispose([result.value, result.gradient]);
      return { map, taps: result.taps };
    }
    const smoothing = options.smoothing;
    if (!(Number.isInteger(smoothing.samples) && smoothing.samples >= 1)) throw new InvalidInputError(`SmoothGrad needs at least 1 sample, got ${smoothing.samples}`);
    if (!(smoothing.noise >= 0)) throw new InvalidInputError(`SmoothGrad noise must be ≥ 0, got ${smoothing.noise}`);
    const batchSize = Math.max(1, options.batchSize ?? 8);
    const withClean = options.target === 'top' || options.taps !== undefined;
    let target: TargetChoice = options.target;
    let sum: tf.Tensor | undefined;
    let cleanTaps: Taps | undefined;
    for (let done = 0; done < smoothing.samples; ) {
      if (done > 0) {
        await yieldToEventLoop();
        throwIfAborted(options.signal);
      }
      const clean = withClean && done === 0;
      const n = Math.min(batchSize, smoothing.samples - done);
      const noisy = noisyCopies(first, smoothing, done, n);
      const batch = clean ? (tf.concat([first, noisy]) as tf.Tensor4D) : noisy;
      if (clean) noisy.dispose();
      const request = clean ? mergeRequests(targetRequest(target), options.taps) : targetRequest(target);
      const objective = (taps: Taps): tf.Scalar => {
        const scores = targetScores(taps, target);
        // The clean image (row 0) only supplies taps and the top class; the average is over the noisy copies.
        return clean ? tf.sum(tf.slice(scores, [1], [-1])) : tf.sum(scores);
      };
      const result = net.gradient(batch, request, objective, { relu: rule });
      batch.dispose();
      const part = tf.tidy(() => {
        const g = result.gradient as tf.Tensor4D;
        const rows = clean ? (tf.slice(g, [1, 0, 0, 0], [-1, -1, -1, -1]) as tf.Tensor4D) : g;
        const per = smoothing.form === 'smoothgrad' ? rows : smoothing.form === 'smoothgrad-squared' ? tf.square(rows) : reduceMap(rows);
        const total = tf.sum(per, 0, true);
        return sum ? tf.add(sum, total) : total;
      });
      sum?.dispose();
      sum = part;
      tf.dispose([result.value, result.gradient]);
      if (clean) {
        cleanTaps = firstRow(result.taps);
        // Later batches have no clean row: fix the class now (one read-back), only if there are any.
        if (target === 'top' && done + n < smoothing.samples) target = { kind: 'class', index: await topClassOf(cleanTaps.logits!) };
      }
      disposeTaps(result.taps);
      done += n;
      options.onProgress?.(done, smoothing.samples);
    }
    const mean = sum!;
    const map = tf.tidy(() => {
      const m = tf.div(mean, smoothing.samples);
      const reduced = smoothing.form === 'smoothgrad' ? reduceMap(m as tf.Tensor4D) : smoothing.form === 'smoothgrad-squared' ? tf.max(m, -1) : m;
      return tf.reshape(reduced, first.shape.slice(1, 3) as [number, number]) as tf.Tensor2D;
    });
    mean.dispose();
    return { map, taps: cleanTaps ?? { activations: {} } };
  } finally {
    if (first !== input) first.dispose();
  }
}

/** ∂target/∂input for each image of the batch (one differentiable pass, no reduction). The caller disposes it. */
export function inputGradient(net: ConvNet, input: tf.Tensor4D, target: Target, rule: ReluMode = 'plain'): tf.Tensor4D {
  checkTarget(net, target);
  const { value, gradient, taps } = net.gradient(input, targetRequest(target), targetObjective(target), { relu: rule });
  value.dispose();
  disposeTaps(taps);
  return gradient as tf.Tensor4D;
}

/** Reads a pass back into an AttributionMap (the target resolved from the pass when it was 'top'). */
export async function toAttributionMap(method: string, input: ModelInput, target: TargetChoice, pass: SaliencyPass, extras?: AttributionMap['extras']): Promise<AttributionMap> {
  try {
    const [height, width] = pass.map.shape;
    const data = (await pass.map.data()) as Float32Array;
    const resolved: Target = target === 'top' ? { kind: 'class', index: await topClassOf(pass.taps.logits!) } : target;
    return { method, width, height, data, crop: input.crop, target: resolved, ...(extras ? { extras } : {}) };
  } finally {
    pass.map.dispose();
    disposeTaps(pass.taps);
  }
}

/** A gradient-saliency attribution method: an AttributionMethod that also names its rectifier rule. */
export interface GradientSaliencyMethod extends AttributionMethod {
  readonly rule: ReluMode;
}

/**
 * The gradient-saliency attribution method with rectifier rule `rule` ('plain' → vanilla saliency, 'guided' →
 * guided backprop), under the common attribution signature.
 */
export function gradientSaliency(name: string, rule: ReluMode): GradientSaliencyMethod {
  const method = async (net: ConvNet, input: ModelInput, options: AttributionOptions): Promise<AttributionMap> =>
    toAttributionMap(name, input, options.target, await saliencyPass(net, input.tensor, { target: options.target, rule }));
  return Object.assign(method, { rule });
}
