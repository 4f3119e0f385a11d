import * as tf from '@tensorflow/tfjs';
import { sampleRankCorrelation } from 'simple-statistics';
import { type AttributionMap, type AttributionMethodName, type AttributionOptions, type MethodSettings, runAttribution } from './attribution';
import { throwIfAborted, yieldToEventLoop } from './cancel';
import { InvalidInputError } from './errors';
import type { ConvNet, ConvWeights } from './network';
import type { ModelInput } from './preprocess';
import { seededRandom } from './random';
import type { Target, TargetChoice } from './target';

/**
 * Model parameter randomisation test, cascading (Adebayo et al. 2018, "Sanity Checks for Saliency Maps", NeurIPS,
 * §3.1): the network's weights are re-initialised from the top down — the logits layer (`conv_preds`) first, then
 * each convolution / depthwise convolution below it, earlier randomisations kept — and the attribution map is
 * recomputed after each step with the same method call as `explain` (runAttribution). A method whose map depends on
 * what the network learned loses its resemblance to the original map as layers go; one whose map stays similar
 * explains the picture rather than the network (the paper: plain gradients and Grad-CAM decay, guided backprop does
 * not).
 *
 * Re-initialisation: each layer is drawn as a fresh Keras layer of this model would be — the model's own config
 * names VarianceScaling(scale 1, mode fan_avg, uniform) for Conv2D kernels and DepthwiseConv2D depthwise kernels,
 * i.e. Glorot uniform (Glorot & Bengio 2010): U(−l, l) with l = √(6 / (fan_in + fan_out)), fan_in = kh·kw·in,
 * fan_out = kh·kw·out (Keras's fans of a 4-D kernel: for a depthwise kernel [kh, kw, channels, multiplier],
 * in = channels, out = multiplier) — with zero biases and the layer's batch norm at its initial state (γ = 1, β = 0,
 * moving mean 0, moving variance 1). The paper re-initialises its layers at random as well (truncated normal for
 * its Inception v3); the initialiser is ours. Values come from the seeded mulberry32 PRNG (src/core/random.ts),
 * one stream from the top layer down, so a seed gives the same weights for any number of layers.
 *
 * Similarity: Spearman's rank correlation of the two maps' values (AttributionMap.data, importance ≥ 0 — for signed
 * methods the magnitude the method reports, as the paper's "absolute value" variant), ties at their mid-ranks
 * (simple-statistics' sampleRankCorrelation).
 */

/** Options of sanityCheck. */
export interface SanityOptions<N extends AttributionMethodName = AttributionMethodName> {
  /** The attribution method to check (a key of ATTRIBUTION_METHODS). */
  method: N;
  /**
   * What to explain. 'top' is resolved once, on the trained network (the original map's target); every randomised
   * network explains that same target.
   */
  target: TargetChoice;
  /** The method's own settings as `explain` takes them (any not given take the method's defaults). */
  settings?: Partial<MethodSettings[N]>;
  /** How many layers to randomise, from the top down (1 … net.convLayers().length; default all of them). */
  layers?: number;
  /** Seed of the random weights (an integer ≥ 0; default 0). */
  seed?: number;
  /** Stops the run between layers (and inside the method where it supports it): rejects with an AbortError. */
  signal?: AbortSignal | undefined;
  /** Called after the original map and after each randomised layer: maps done so far, and the total (layers + 1). */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** One cascading step: the layers randomised so far end with `layer`. */
export interface SanityStep {
  /** The convolution layer randomised at this step (those of earlier steps stay randomised). */
  layer: string;
  /**
   * Spearman rank correlation in [−1, 1] of this step's map with the original map; NaN when either map is constant
   * (no rank variance, e.g. an all-zero Grad-CAM), for which a rank correlation is undefined.
   */
  spearman: number;
  /** The map recomputed on the network randomised down to `layer` (same size and crop as the original). */
  map: AttributionMap;
}

/** What sanityCheck returns. */
export interface SanityResult {
  method: AttributionMethodName;
  /** The target explained on every network ('top' resolved on the trained one). */
  target: Target;
  /** The seed of the random weights. */
  seed: number;
  /** The map of the trained network. */
  original: AttributionMap;
  /** One step per randomised layer, top layer first. */
  steps: SanityStep[];
}

/**
 * Spearman's rank correlation ρ of two equally long series (ties at mid-ranks): Pearson's correlation of their
 * ranks, in [−1, 1]; NaN when either has no rank variance. Throws InvalidInputError for series of different
 * lengths or of fewer than two values. Uses simple-statistics: 0.27–0.32 s for two 224×224 maps in Node on the shared
 * 2-core machine, small beside the map it compares (1–2 s per randomised layer for a gradient map).
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length < 2) throw new InvalidInputError(`spearman needs two series of the same length ≥ 2, got ${a.length} and ${b.length}`);
  const rho = sampleRankCorrelation(Array.from(a), Array.from(b));
  // Rounding can push a perfect correlation a hair past ±1.
  return Number.isNaN(rho) ? rho : Math.max(-1, Math.min(1, rho));
}

/**
 * Glorot-uniform weights of a fresh Keras layer for one convolution layer of `net` (see the module comment), drawn
 * from `random`; zero bias. The caller owns the tensors.
 */
export function freshConvWeights(net: ConvNet, layer: string, random: () => number): ConvWeights {
  const { kernel: trained, depthwise } = net.kernel(layer);
  const [kh, kw, inputs, outputs] = trained.shape;
  trained.dispose();
  const receptive = kh * kw;
  const limit = Math.sqrt(6 / (receptive * inputs + receptive * outputs));
  const values = new Float32Array(receptive * inputs * outputs);
  for (let i = 0; i < values.length; i++) values[i] = (2 * random() - 1) * limit;
  // Conv2D: one bias per output channel; depthwise: one per channel × multiplier (= inputs · outputs).
  return {
    kernel: tf.tensor4d(values, [kh, kw, inputs, outputs]),
    bias: tf.zeros([depthwise ? inputs * outputs : outputs]) as tf.Tensor1D,
  };
}

/**
 * Runs the cascading randomisation test of `options.method` on `input` (a [1, 224, 224, 3] model input): the
 * original map, then per layer from `net.logitsLayer` downwards the map on a copy of `net` with that layer and all
 * above it re-initialised (ConvNet.withConvWeights; `net` itself is never changed) and its Spearman correlation
 * with the original. Throws InvalidInputError for a `layers` count out of range, AbortError when `signal` aborts;
 * every tensor it makes is disposed, also on error.
 */
export async function sanityCheck<N extends AttributionMethodName>(net: ConvNet, input: ModelInput, options: SanityOptions<N>): Promise<SanityResult> {
  const convs = net.convLayers().reverse();
  const count = options.layers ?? convs.length;
  if (!Number.isInteger(count) || count < 1 || count > convs.length) {
    throw new InvalidInputError(`layers must be an integer in 1..${convs.length} (the network's convolution layers), got ${count}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new InvalidInputError(`seed must be an integer ≥ 0, got ${seed}`);
  const { method, signal, onProgress } = options;
  const total = count + 1;
  const attribute = (on: ConvNet, target: TargetChoice): Promise<AttributionMap> => runAttribution(method, on, input, { ...options.settings, target, signal } as AttributionOptions & Partial<MethodSettings[N]>);

  throwIfAborted(signal);
  const original = await attribute(net, options.target);
  onProgress?.(1, total);
  const random = seededRandom(seed);
  const replaced = new Map<string, ConvWeights>();
  const steps: SanityStep[] = [];
  try {
    for (const layer of convs.slice(0, count)) {
      await yieldToEventLoop();
      throwIfAborted(signal);
      replaced.set(layer, freshConvWeights(net, layer, random));
      const randomised = net.withConvWeights(replaced);
      try {
        const map = await attribute(randomised, original.target);
        steps.push({ layer, spearman: spearman(original.data, map.data), map });
      } finally {
        randomised.dispose();
      }
      onProgress?.(steps.length + 1, total);
    }
  } finally {
    for (const w of replaced.values()) tf.dispose([w.kernel, w.bias]);
  }
  return { method, target: original.target, seed, original, steps };
}
