import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import { BatchPacer } from '../pacing';
import { seededRandom } from '../random';
import { slic } from '../superpixels';
import { resolveTarget } from '../target';
import { LIME_DEFAULTS } from './defaults';
import { type Fill, type ScoreKind, balancedBatchSize, maskedEvaluator } from './masking';
import { type LinearModel, weightedR2, weightedRidge } from './ridge';
import type { AttributionMethod, AttributionOptions } from './types';

export { LIME_DEFAULTS, LIME_DISPLAY, LIME_JOB } from './defaults';

/** Options of lime(); any left out (or undefined) take LIME_DEFAULTS. */
export interface LimeOptions extends AttributionOptions {
  /** SLIC superpixels asked for (2..1000); the segmentation has about this many. */
  superpixels?: number;
  /** SLIC compactness (> 0; 10 for CIELAB as the SLIC paper suggests). */
  compactness?: number;
  /** Perturbed samples scored, the unperturbed picture included (≥ 1). */
  samples?: number;
  /** Kernel width on the cosine distance (> 0; the reference's 0.25). */
  kernelWidth?: number;
  /** L2 penalty of the ridge fit (≥ 0). */
  ridge?: number;
  /** Share of the samples held out to measure R² (0 ≤ share < 1). */
  heldOut?: number;
  /** What a switched-off superpixel shows. */
  fill?: Fill;
  /** The score explained: 'logit' (default, see LIME_DEFAULTS) or 'probability' (as the reference). */
  score?: ScoreKind;
  /** Perturbed pictures per forward pass (at most, when paced). */
  batchSize?: number;
  /** Seed of the on/off sampler (seededRandom): the same seed gives the same samples and weights. */
  seed?: number;
}

/** The options that are set (an explicit `undefined` must not override a default). */
function definedOf<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Cosine distance of a 0/1 vector with `on` ones out of d from the all-ones vector: 1 − on / √(on · d). */
function cosineToAllOn(on: number, d: number): number {
  return on === 0 ? 1 : 1 - on / Math.sqrt(on * d);
}

/**
 * LIME, Local Interpretable Model-agnostic Explanations (Ribeiro, Singh & Guestrin 2016, "Why Should I Trust You?",
 * KDD), for images as the reference implementation (lime_image.LimeImageExplainer and lime_base) does it:
 * 1. cut the model-input picture into superpixels (SLIC, src/core/superpixels.ts), each one binary feature;
 * 2. sample `samples` on/off vectors z (each superpixel on with probability ½; the first is all on, the picture
 *    itself), make each picture with the off superpixels filled (grey by default) and score it with the network
 *    (the target's logit by default; the reference uses probabilities), `batchSize` pictures per forward pass;
 * 3. weight each sample by the kernel π(z) = √exp(−D(z, 1)² / width²), D the cosine distance to the all-on vector;
 * 4. fit a weighted ridge regression score ≈ intercept + Σ w_j z_j (src/core/attribution/ridge.ts, ml-matrix).
 * The per-pixel map is the weight of the pixel's superpixel (`signed`; `data` keeps the positive part). The fit
 * quality is the weighted R² on a held-out share of the samples (a model fitted on the rest predicting them), the
 * weights are from the fit on all samples. Extras: `superpixels` (label per pixel), `weights` (per superpixel),
 * `intercept`, `r2` (held-out; NaN when fewer than 2 samples are held out), `r2Train` (the reference's `score`),
 * `score` (the network's score of the picture), `prediction` (the linear model's at all-on), `count` (superpixels),
 * `samples`. Unlike the reference, all superpixels enter the fit (no feature selection); the top ones are read
 * out with topSuperpixels (lime-summary.ts). Throws InvalidInputError for settings out of range; rejects with
 * AbortError when cancelled; holds no tensors afterwards.
 */
export const lime: AttributionMethod<LimeOptions> = async (net, input, options) => {
  const { signal, onProgress } = options;
  const s = { ...LIME_DEFAULTS, ...definedOf(options) };
  if (!(Number.isInteger(s.superpixels) && s.superpixels >= 2 && s.superpixels <= 1000)) throw new InvalidInputError(`LIME superpixels must be a whole number in 2..1000, got ${s.superpixels}`);
  if (!(Number.isInteger(s.samples) && s.samples >= 1)) throw new InvalidInputError(`LIME samples must be a whole number ≥ 1, got ${s.samples}`);
  if (!(s.kernelWidth > 0 && Number.isFinite(s.kernelWidth))) throw new InvalidInputError(`LIME kernel width must be > 0, got ${s.kernelWidth}`);
  if (!(s.ridge >= 0 && Number.isFinite(s.ridge))) throw new InvalidInputError(`LIME ridge penalty must be ≥ 0, got ${s.ridge}`);
  if (!(s.heldOut >= 0 && s.heldOut < 1)) throw new InvalidInputError(`LIME held-out share must be in [0, 1), got ${s.heldOut}`);
  if (!(Number.isInteger(s.batchSize) && s.batchSize >= 1)) throw new InvalidInputError(`LIME batch size must be a whole number ≥ 1, got ${s.batchSize}`);
  const target = await resolveTarget(net, input.tensor, options.target);
  const size = net.inputSize;

  // 1. Superpixels of the picture the network sees (model space [−1, 1] → 0–255).
  const first = tf.tidy(() => tf.slice(input.tensor, [0, 0, 0, 0], [1, -1, -1, -1]));
  let values: Float32Array;
  try {
    values = (await first.data()) as Float32Array;
  } finally {
    first.dispose();
  }
  const rgb = Float32Array.from(values, (v) => Math.min(255, Math.max(0, (v + 1) * 127.5)));
  const segments = slic(rgb, size, size, 3, { superpixels: s.superpixels, compactness: s.compactness });
  const d = segments.count;

  // 2. On/off samples: the first is the picture itself, the rest Bernoulli(½) per superpixel.
  const random = seededRandom(s.seed);
  const Z: Uint8Array[] = [new Uint8Array(d).fill(1)];
  for (let i = 1; i < s.samples; i++) Z.push(Uint8Array.from({ length: d }, () => (random() < 0.5 ? 1 : 0)));
  const maskFor = (z: Uint8Array) => (): Float32Array => Float32Array.from(segments.labels, (l) => z[l]!);
  const perPass = balancedBatchSize(Z.length, s.batchSize);
  const pacer = options.paceMs !== undefined ? new BatchPacer({ max: perPass, budgetMs: options.paceMs }) : undefined;
  const evaluator = maskedEvaluator(net, input.tensor as tf.Tensor4D, target, { fill: s.fill, score: s.score, batchSize: perPass, pacer });
  let y: Float32Array;
  try {
    y = await evaluator.evaluate(Z.map(maskFor), { signal, onBatch: (done) => onProgress?.(done, Z.length) });
  } finally {
    evaluator.dispose();
  }

  // 3. Kernel weights on the cosine distance to the picture itself.
  const w = Z.map((z) => {
    const D = cosineToAllOn(z.reduce((a, b) => a + b, 0), d);
    return Math.sqrt(Math.exp(-(D * D) / (s.kernelWidth * s.kernelWidth)));
  });

  // 4. Held-out R² (fit on the first samples, predict the last), then the weights from all samples.
  const held = Math.floor(Z.length * s.heldOut);
  let r2 = Number.NaN;
  if (held >= 2 && Z.length - held >= 2) {
    const fitRows = Z.length - held;
    const partial = weightedRidge(Z.slice(0, fitRows), y.subarray(0, fitRows), w.slice(0, fitRows), s.ridge);
    r2 = weightedR2(partial, Z.slice(fitRows), y.subarray(fitRows), w.slice(fitRows));
  }
  const model: LinearModel = weightedRidge(Z, y, w, s.ridge);
  const r2Train = weightedR2(model, Z, y, w);
  const weights = Array.from(model.coefficients);
  const signed = Float32Array.from(segments.labels, (l) => weights[l]!);
  const data = Float32Array.from(signed, (v) => Math.max(0, v));
  return {
    method: 'lime',
    width: size,
    height: size,
    data,
    signed,
    crop: input.crop,
    target,
    extras: {
      superpixels: Array.from(segments.labels),
      weights,
      intercept: model.intercept,
      r2,
      r2Train,
      score: y[0]!,
      prediction: model.intercept + weights.reduce((a, b) => a + b, 0),
      count: d,
      samples: Z.length,
    },
  };
};
