import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import type { ConvNet } from '../network';
import { type InnerAttack, deepFoolAttack } from './attacks';
import { throwIfAborted, yieldToEventLoop } from '../cancel';
import type { ProgressCallback } from './engine';
import { topClasses } from './pixels';
import { checkEpsilon, linfBall } from './projections';
import { createRng } from './random';
import { PIXEL_SCALE } from './units';

/**
 * Options of universalPerturbation (Moosavi-Dezfooli et al. 2017); eps, maxPasses and targetRate left out take
 * UAP_DEFAULTS (10 pixel levels, 5 passes, 0.8). InvalidInputError for eps ≤ 0, maxPasses not a positive integer,
 * targetRate outside (0, 1].
 */
export interface UapOptions {
  /** L∞ budget ξ in pixel levels (paper: 10). */
  eps?: number;
  /** Passes over the training images at most. */
  maxPasses?: number;
  /** Stop once this share of training images is fooled (paper: 1 − δ = 0.8). */
  targetRate?: number;
  /** Inner step; default DeepFool as in the paper. */
  attack?: InnerAttack;
  /** Seed of the order in which images are visited each pass (default 0). */
  seed?: number;
  /** Checked before every image; an abort rejects with AbortError and frees v. */
  signal?: AbortSignal;
  /** Called after each image: step = images visited, steps = maxPasses × images, objective = last pass's fooling rate. */
  onProgress?: ProgressCallback;
}

import { UAP_DEFAULTS } from './defaults';

export { UAP_DEFAULTS } from './defaults';

/**
 * What universalPerturbation returns: the perturbation v, how often it fools the training images and how it was made.
 */
export interface UapResult {
  /** v in model space, [1, 224, 224, 3] (the caller disposes it). */
  perturbation: tf.Tensor4D;
  /** Share of training images whose top-1 class changes when v is added. */
  foolingRate: number;
  /** Passes over the training images done (≤ maxPasses). */
  passes: number;
  /** Training images used. */
  images: number;
  /** The L∞ budget ξ, in pixel levels. */
  eps: number;
  /** Inner attack's name ('deepfool' or 'gradient'). */
  attack: string;
}

/** x + v, clipped to valid pixels (how a perturbation is applied everywhere). */
export function applyPerturbation(x: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(tf.add(x, v), -1, 1) as tf.Tensor4D);
}

/**
 * What foolingRate() returns: the share of images whose top-1 class changes when v is added, their count and which
 * ones.
 */
export interface FoolingRate {
  /** Changed images / n, in [0, 1]. */
  foolingRate: number;
  /** Images evaluated. */
  n: number;
  /** Per image: its top-1 class changed. */
  changed: boolean[];
}

/** Share of images whose top-1 class changes when v is added (one image at a time: bounded memory). */
export async function foolingRate(net: ConvNet, images: readonly tf.Tensor4D[], v: tf.Tensor4D, labels?: readonly number[]): Promise<FoolingRate> {
  if (images.length === 0) throw new InvalidInputError('no images to evaluate the perturbation on');
  const changed: boolean[] = [];
  for (let i = 0; i < images.length; i++) {
    const x = images[i]!;
    const before = labels?.[i] ?? (await topClasses(net, x))[0]!;
    const adv = applyPerturbation(x, v);
    const [after] = await topClasses(net, adv);
    adv.dispose();
    changed.push(after !== before);
  }
  return { foolingRate: changed.filter(Boolean).length / images.length, n: images.length, changed };
}

/**
 * Universal adversarial perturbation (Moosavi-Dezfooli et al. 2017, Algorithm 1): one v with ‖v‖∞ ≤ ξ that
 * changes the class of most images. For each image not yet fooled by v, the inner attack finds the smallest Δ
 * that sends x + v across a boundary; v ← P_ξ(v + Δ). Passes repeat until the fooling rate reaches the target.
 */
export async function universalPerturbation(net: ConvNet, images: readonly tf.Tensor4D[], options: UapOptions = {}): Promise<UapResult> {
  const { eps, maxPasses, targetRate } = { ...UAP_DEFAULTS, ...options };
  checkEpsilon(eps);
  if (!Number.isInteger(maxPasses) || maxPasses < 1) throw new InvalidInputError(`max passes must be a positive integer, got ${maxPasses}`);
  if (!(targetRate > 0 && targetRate <= 1)) throw new InvalidInputError(`target fooling rate must be in (0, 1], got ${targetRate}`);
  if (images.length === 0) throw new InvalidInputError('no training images');
  images.forEach((x) => {
    if (x.rank !== 4 || x.shape[0] !== 1 || x.shape[1] !== net.inputSize || x.shape[2] !== net.inputSize || x.shape[3] !== 3) {
      throw new InvalidInputError(`training images must be [1, ${net.inputSize}, ${net.inputSize}, 3] model inputs`);
    }
  });
  const attack = options.attack ?? deepFoolAttack();
  const rng = createRng(options.seed ?? 0);
  const { signal, onProgress } = options;
  throwIfAborted(signal);
  const labels: number[] = [];
  for (const x of images) labels.push((await topClasses(net, x))[0]!);
  const zero = tf.zeros([1, net.inputSize, net.inputSize, 3]) as tf.Tensor4D;
  const ball = linfBall(zero, eps);
  let v = tf.zeros([1, net.inputSize, net.inputSize, 3]) as tf.Tensor4D;
  let rate = 0;
  let passes = 0;
  let visited = 0;
  const total = maxPasses * images.length;
  try {
    while (rate < targetRate && passes < maxPasses) {
      for (const i of rng.permutation(images.length)) {
        throwIfAborted(signal);
        const xv = applyPerturbation(images[i]!, v);
        try {
          const [now] = await topClasses(net, xv);
          if (now === labels[i]) {
            const { perturbation, converged } = await attack.run(net, xv, labels[i]!, { signal });
            if (converged) {
              const next = tf.tidy(() => ball.project(tf.add(v, perturbation)));
              v.dispose();
              v = next;
            }
            perturbation.dispose();
          }
        } finally {
          xv.dispose();
        }
        onProgress?.({ step: ++visited, steps: total, objective: rate, image: v });
        await yieldToEventLoop();
      }
      passes++;
      rate = (await foolingRate(net, images, v, labels)).foolingRate;
    }
  } catch (err) {
    v.dispose();
    throw err;
  } finally {
    zero.dispose();
  }
  return { perturbation: v, foolingRate: rate, passes, images: images.length, eps, attack: attack.name };
}

/**
 * What a uap.json file holds: the perturbation in pixel levels (HWC, base64 of float32 values, or of whole levels
 * as int8 — 150 kB for 224×224×3 — with `int8-base64`) and how it was made: its fooling rate on the training
 * pictures (`foolingRate`) and, where some were held out, on pictures it was not made on (`heldOutRate`).
 */
export interface UapFile {
  format: 'convlens-uap';
  version: 1;
  model?: string;
  norm: 'linf';
  eps: number;
  /** Fooling rate on the training pictures, in [0, 1]. */
  foolingRate: number;
  /** Fooling rate on the held-out pictures, in [0, 1] (absent: none held out). */
  heldOutRate?: number;
  /** Held-out pictures. */
  heldOutImages?: number;
  /** Augmented views the stochastic method's gradient saw (absent for Moosavi-Dezfooli's algorithm). */
  views?: number;
  passes: number;
  /** Training pictures. */
  images: number;
  attack: string;
  seed?: number;
  shape: [number, number, number];
  units: 'pixel';
  encoding: 'float32-base64' | 'int8-base64';
  data: string;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Serialises a UAP result (the perturbation is read off the backend). `quantize`: store whole pixel levels as int8
 * (round(v), |v| ≤ ε ≤ 127; the file is 4× smaller and the values are those an 8-bit picture can carry).
 */
export async function uapToFile(
  result: UapResult,
  extra: { model?: string; seed?: number; heldOutRate?: number; heldOutImages?: number; quantize?: boolean } = {},
): Promise<UapFile> {
  const { quantize = false, ...meta } = extra;
  if (quantize && !(result.eps <= 127)) throw new InvalidInputError(`an int8 perturbation file holds |v| ≤ 127 levels, ε is ${result.eps}`);
  const pixels = tf.tidy(() => tf.mul(result.perturbation, PIXEL_SCALE));
  const data = (await pixels.data()) as Float32Array;
  pixels.dispose();
  const bytes = quantize ? new Uint8Array(Int8Array.from(data, (x) => Math.max(-Math.floor(result.eps), Math.min(Math.floor(result.eps), Math.round(x)))).buffer) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const [, h, w, c] = result.perturbation.shape;
  return {
    format: 'convlens-uap',
    version: 1,
    ...meta,
    norm: 'linf',
    eps: result.eps,
    foolingRate: result.foolingRate,
    passes: result.passes,
    images: result.images,
    attack: result.attack,
    shape: [h, w, c],
    units: 'pixel',
    encoding: quantize ? 'int8-base64' : 'float32-base64',
    data: toBase64(bytes),
  };
}

/** Reads a parsed uap.json back into a model-space perturbation [1, H, W, 3]; InvalidInputError if malformed. */
export function uapFromFile(json: unknown, inputSize = 224): { perturbation: tf.Tensor4D; file: UapFile } {
  const f = json as Partial<UapFile> | null;
  if (typeof f !== 'object' || f === null || f.format !== 'convlens-uap') throw new InvalidInputError('not a ConvLens perturbation file (format is not convlens-uap)');
  if (f.version !== 1 || (f.encoding !== 'float32-base64' && f.encoding !== 'int8-base64') || f.units !== 'pixel' || typeof f.data !== 'string') {
    throw new InvalidInputError('unsupported perturbation file (expected version 1, float32-base64 or int8-base64, pixel units)');
  }
  const shape = f.shape;
  if (!Array.isArray(shape) || shape[0] !== inputSize || shape[1] !== inputSize || shape[2] !== 3) {
    throw new InvalidInputError(`perturbation shape must be [${inputSize}, ${inputSize}, 3], got ${JSON.stringify(shape)}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(f.data);
  } catch {
    throw new InvalidInputError('perturbation data is not valid base64');
  }
  const width = f.encoding === 'int8-base64' ? 1 : 4;
  if (bytes.length !== inputSize * inputSize * 3 * width) throw new InvalidInputError(`perturbation data has ${bytes.length} bytes, expected ${inputSize * inputSize * 3 * width}`);
  const values = width === 1 ? Float32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length)) : new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  if (values.some((v) => !Number.isFinite(v))) throw new InvalidInputError('perturbation data holds non-finite values');
  const perturbation = tf.tidy(() => tf.div(tf.tensor4d(values, [1, inputSize, inputSize, 3]), PIXEL_SCALE)) as tf.Tensor4D;
  return { perturbation, file: f as UapFile };
}
