import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import { type ConvNet, disposeTaps } from '../network';
import { throwIfAborted, yieldToEventLoop } from '../cancel';
import type { ProgressCallback } from './engine';
import { checkEpsilon } from './projections';
import { type Rng, createRng } from './random';
import { pixelsToModel } from './units';
import { UAP_HELD_OUT_SHARE, UAP_SGD_DEFAULTS } from './defaults';
import type { InnerAttack } from './attacks';
import { universalPerturbation } from './uap';

export { UAP_SGD_DEFAULTS } from './defaults';

/**
 * A deterministic train / held-out split of `n` items: within each stratum (e.g. the source of a photo) a seeded
 * shuffle, then round(share × size) items of it are held out (at least one of every stratum with 2 or more items,
 * none of a stratum of 1), so every stratum is seen in training and, where it can be, in the evaluation too.
 * Returns item indices in ascending order. InvalidInputError for a share outside [0, 1).
 */
export function heldOutSplit(n: number, options: { share: number; seed?: number; stratum?: (index: number) => string }): { train: number[]; heldOut: number[] } {
  const { share, seed = 0, stratum = () => '' } = options;
  if (!(share >= 0 && share < 1)) throw new InvalidInputError(`held-out share must be in [0, 1), got ${share}`);
  if (!Number.isInteger(n) || n < 0) throw new InvalidInputError(`item count must be a non-negative integer, got ${n}`);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = stratum(i);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  const rng = createRng(seed);
  const heldOut: number[] = [];
  for (const key of [...groups.keys()].sort()) {
    const members = groups.get(key)!;
    const order = rng.permutation(members.length).map((k) => members[k]!);
    const count = members.length < 2 || share === 0 ? 0 : Math.min(members.length - 1, Math.max(1, Math.round(share * members.length)));
    heldOut.push(...order.slice(0, count));
  }
  const held = new Set(heldOut);
  return { train: Array.from({ length: n }, (_, i) => i).filter((i) => !held.has(i)), heldOut: heldOut.sort((a, b) => a - b) };
}

/**
 * How augmentViews varies a picture: the crop's side as a share of the picture's side (drawn uniformly in
 * [minScale, maxScale]; above 1 zooms out, the border filled with mid-grey), its aspect ratio (height/width drawn
 * log-uniformly in [1/maxAspect, maxAspect]), and the chance of a left–right flip.
 */
export interface AugmentOptions {
  minScale?: number;
  maxScale?: number;
  maxAspect?: number;
  flip?: number;
}

/**
 * Random views of model inputs (random crops at random scales and positions, optional left–right flips), each
 * resized back to the input size by bilinear sampling (tf.image.cropAndResize; a flip is a box with x1 > x2).
 * `images` is [N, S, S, 3] in model space; row b of the result is a view of image `sources[b]`. Returns
 * [sources.length, S, S, 3]; the caller disposes it. Draws 5 numbers per view from `rng`.
 */
export function augmentViews(images: tf.Tensor4D, sources: readonly number[], rng: Rng, options: AugmentOptions = {}): tf.Tensor4D {
  const { minScale, maxScale, maxAspect, flip } = { ...UAP_SGD_DEFAULTS.augment, ...options };
  const boxes: number[] = [];
  for (let b = 0; b < sources.length; b++) {
    const side = minScale + rng.next() * (maxScale - minScale);
    const aspect = Math.exp((rng.next() * 2 - 1) * Math.log(maxAspect));
    const h = side * Math.sqrt(aspect);
    const w = side / Math.sqrt(aspect);
    // The box's top-left corner: anywhere the crop stays inside the picture (or, zoomed out, contains it).
    const y1 = Math.min(0, 1 - h) + rng.next() * Math.abs(1 - h);
    const x1 = Math.min(0, 1 - w) + rng.next() * Math.abs(1 - w);
    const flipped = rng.next() < flip;
    boxes.push(y1, flipped ? x1 + w : x1, y1 + h, flipped ? x1 : x1 + w);
  }
  const size = images.shape[1];
  return tf.tidy(() =>
    tf.image.cropAndResize(images, tf.tensor2d(boxes, [sources.length, 4]), tf.tensor1d(sources.slice(), 'int32'), [size, size], 'bilinear', 0),
  );
}

/**
 * Options of stochasticUniversalPerturbation; any left out take UAP_SGD_DEFAULTS (ε 10 levels, 60 steps of 8
 * views, step 2 levels falling to 0.5, loss clipped at 9 nats). InvalidInputError for eps ≤ 0, steps or batch
 * size not a positive integer, a step size ≤ 0.
 */
export interface StochasticUapOptions {
  /** L∞ budget ξ in pixel levels. */
  eps?: number;
  /** Gradient steps (each on one mini-batch of augmented views). */
  steps?: number;
  /** Augmented views per step. */
  batchSize?: number;
  /** Signed-step size at the first step, in pixel levels; it falls linearly to `finalStepSize`. */
  stepSize?: number;
  /** Signed-step size at the last step, in pixel levels. */
  finalStepSize?: number;
  /** Per view, the cross-entropy is clipped at this many nats so views already fooled stop pulling (Shafahi et al.). */
  lossClip?: number;
  /** How the training views vary (false: the pictures as given). */
  augment?: AugmentOptions | false;
  /** Seed of the mini-batches and augmentations (default 0). */
  seed?: number;
  /** Checked before every step; an abort rejects with AbortError and frees v. */
  signal?: AbortSignal;
  /** After each step: step, steps, objective = mean clipped loss of the mini-batch, image = v (borrowed). */
  onProgress?: ProgressCallback;
}

/** What stochasticUniversalPerturbation returns. */
export interface StochasticUapResult {
  /** v in model space, [1, S, S, 3], ‖v‖∞ ≤ ε (the caller disposes it). */
  perturbation: tf.Tensor4D;
  /** Steps taken. */
  steps: number;
  /** Training pictures. */
  images: number;
  /** Augmented views the gradient saw (steps × batch size). */
  views: number;
  /** The L∞ budget ξ, in pixel levels. */
  eps: number;
  /** 'sgd'. */
  attack: string;
}

/**
 * Stochastic universal perturbation ("SGD-UAP": the universal adversarial training objective of Shafahi et al.
 * 2020, as in the stochastic variants benchmarked by Mummadi et al. 2019): maximise the mean of min(CE(f(x̃ + v),
 * y), β) over mini-batches of augmented views x̃ of the training pictures, y each picture's clean top-1 class,
 * with signed gradient steps on v projected onto the L∞ ball of radius ξ after each step. The gradient with respect
 * to v is the sum of the per-view input gradients (x̃ + v is clipped to valid pixels as everywhere).
 * `images` are [1, S, S, 3] model inputs; InvalidInputError for none or a wrong shape.
 */
export async function stochasticUniversalPerturbation(net: ConvNet, images: readonly tf.Tensor4D[], options: StochasticUapOptions = {}): Promise<StochasticUapResult> {
  const o = { ...UAP_SGD_DEFAULTS, ...options };
  checkEpsilon(o.eps);
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new InvalidInputError(`steps must be a positive integer, got ${o.steps}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new InvalidInputError(`batch size must be a positive integer, got ${o.batchSize}`);
  checkEpsilon(o.stepSize, 'step size');
  checkEpsilon(o.finalStepSize, 'final step size');
  if (images.length === 0) throw new InvalidInputError('no training images');
  const s = net.inputSize;
  images.forEach((x) => {
    if (x.rank !== 4 || x.shape[0] !== 1 || x.shape[1] !== s || x.shape[2] !== s || x.shape[3] !== 3) {
      throw new InvalidInputError(`training images must be [1, ${s}, ${s}, 3] model inputs`);
    }
  });
  const { signal, onProgress } = options;
  throwIfAborted(signal);
  const labels = await topLabels(net, images, o.batchSize);
  const rng = createRng(o.seed);
  const stack = tf.concat(images.slice(), 0) as tf.Tensor4D;
  const r = pixelsToModel(o.eps) - 2 ** -21;
  let v = tf.zeros([1, s, s, 3]) as tf.Tensor4D;
  let order: number[] = [];
  try {
    for (let step = 0; step < o.steps; step++) {
      throwIfAborted(signal);
      const sources: number[] = [];
      while (sources.length < o.batchSize) {
        if (order.length === 0) order = rng.permutation(images.length);
        sources.push(order.pop()!);
      }
      const views = o.augment === false ? tf.gather(stack, sources) as tf.Tensor4D : augmentViews(stack, sources, rng, o.augment);
      const oneHot = tf.oneHot(sources.map((i) => labels[i]!), net.numClasses);
      const input = tf.tidy(() => tf.clipByValue(tf.add(views, v), -1, 1) as tf.Tensor4D);
      views.dispose();
      let loss = 0;
      try {
        const g = net.gradient(input, { logits: true }, (taps) =>
          tf.tidy(() => {
            const ce = tf.neg(tf.sum(tf.mul(tf.logSoftmax(taps.logits!), oneHot), 1));
            return tf.mean(tf.minimum(ce, o.lossClip)) as tf.Scalar;
          }),
        );
        loss = (await g.value.data())[0]!;
        const alpha = pixelsToModel(o.stepSize + ((o.finalStepSize - o.stepSize) * step) / Math.max(1, o.steps - 1));
        const next = tf.tidy(() => tf.clipByValue(tf.add(v, tf.mul(tf.sign(tf.sum(g.gradient, 0, true)), alpha)), -r, r) as tf.Tensor4D);
        g.value.dispose();
        g.gradient.dispose();
        disposeTaps(g.taps);
        v.dispose();
        v = next;
      } finally {
        input.dispose();
        oneHot.dispose();
      }
      onProgress?.({ step: step + 1, steps: o.steps, objective: loss, image: v });
      await yieldToEventLoop();
    }
  } catch (err) {
    v.dispose();
    throw err;
  } finally {
    stack.dispose();
  }
  return { perturbation: v, steps: o.steps, images: images.length, views: o.steps * o.batchSize, eps: o.eps, attack: 'sgd' };
}

/** Top-1 class of each [1, S, S, 3] input, `batchSize` per forward pass. */
async function topLabels(net: ConvNet, images: readonly tf.Tensor4D[], batchSize: number): Promise<number[]> {
  const labels: number[] = [];
  for (let i = 0; i < images.length; i += batchSize) {
    const top = tf.tidy(() => tf.argMax(net.run(tf.concat(images.slice(i, i + batchSize), 0) as tf.Tensor4D, { logits: true }).logits!, 1));
    labels.push(...(await top.data()));
    top.dispose();
  }
  return labels;
}

/**
 * A random-sign perturbation of the same budget: every value ±ε pixel levels with a fair coin from the seeded
 * stream, [1, size, size, 3] in model space (the caller disposes it). The baseline a universal perturbation has
 * to beat: at ε = 10 noise alone changes the class of some pictures.
 */
export function randomSignPerturbation(size: number, eps: number, seed = 0): tf.Tensor4D {
  checkEpsilon(eps);
  const rng = createRng(seed);
  const r = pixelsToModel(eps) - 2 ** -21;
  return tf.tensor4d(Float32Array.from({ length: size * size * 3 }, () => (rng.next() < 0.5 ? -r : r)), [1, size, size, 3]);
}

/**
 * Fooling rate of `v` on `images` ([1, S, S, 3] model inputs), batched `batchSize` at a time: the share whose top-1
 * class of x + v (clipped to valid pixels) differs from that of x; `onBatch` after each batch. Same definition as uap.ts foolingRate (which
 * runs one picture at a time); InvalidInputError for no images.
 */
export async function batchedFoolingRate(net: ConvNet, images: readonly tf.Tensor4D[], v: tf.Tensor4D, batchSize = 8, signal?: AbortSignal, onBatch?: () => void): Promise<number> {
  if (images.length === 0) throw new InvalidInputError('no images to evaluate the perturbation on');
  let changed = 0;
  for (let i = 0; i < images.length; i += batchSize) {
    throwIfAborted(signal);
    const tops = tf.tidy(() => {
      const x = tf.concat(images.slice(i, i + batchSize), 0) as tf.Tensor4D;
      const both = tf.concat([x, tf.clipByValue(tf.add(x, v), -1, 1)], 0) as tf.Tensor4D;
      const taps = net.run(both, { logits: true });
      return tf.argMax(taps.logits!, 1);
    });
    const t = await tops.data();
    tops.dispose();
    const n = t.length / 2;
    for (let k = 0; k < n; k++) if (t[k] !== t[k + n]) changed++;
    onBatch?.();
    await yieldToEventLoop();
  }
  return changed / images.length;
}

/** A model input ([1, S, S, 3], borrowed) with the name its picture goes by (gallery name, file path): its stratum. */
export interface NamedInput {
  name: string;
  input: tf.Tensor4D;
}

/**
 * Options of heldOutUniversalPerturbation: the stochastic method's options (method 'sgd', the default) or
 * Moosavi-Dezfooli's algorithm (method 'moosavi': `attack`, `maxPasses`, `targetRate` of UapOptions), plus the split:
 * `heldOutShare` of the pictures per stratum (UAP_HELD_OUT_SHARE; 0 holds none out), `splitSeed` (0) and `stratum`
 * (by name; default one stratum).
 */
export interface HeldOutUapOptions extends StochasticUapOptions {
  method?: 'sgd' | 'moosavi';
  attack?: InnerAttack;
  maxPasses?: number;
  targetRate?: number;
  heldOutShare?: number;
  splitSeed?: number;
  stratum?: (name: string) => string;
}

/**
 * What heldOutUniversalPerturbation returns: v, the fooling rate on the training pictures (`foolingRate`) and on
 * the held-out ones (`heldOutRate`, NaN when none was held out), which pictures went where, and the training
 * budget (steps and views for 'sgd', passes for 'moosavi').
 */
export interface HeldOutUapResult {
  /** v in model space, [1, S, S, 3] (the caller disposes it). */
  perturbation: tf.Tensor4D;
  foolingRate: number;
  heldOutRate: number;
  /** Names of the training pictures. */
  train: string[];
  /** Names of the held-out pictures. */
  heldOut: string[];
  /** 'sgd' or Moosavi-Dezfooli's inner attack ('deepfool', 'gradient'). */
  attack: string;
  method: 'sgd' | 'moosavi';
  eps: number;
  /** Gradient steps ('sgd') or passes ('moosavi'). */
  steps: number;
  /** Views the training saw: augmented views ('sgd'), picture visits ('moosavi'). */
  views: number;
  /** Training time, ms. */
  trainMs: number;
}

/**
 * A universal perturbation made on some pictures and measured on others: heldOutSplit of `pictures` (model inputs,
 * borrowed), then stochasticUniversalPerturbation (default) or Moosavi-Dezfooli's
 * universalPerturbation on the training part, then the fooling rate of v on both parts (batchedFoolingRate).
 * Progress: training steps, then one step per evaluation batch. InvalidInputError for fewer than 1 training picture.
 */
export async function heldOutUniversalPerturbation(net: ConvNet, pictures: readonly NamedInput[], options: HeldOutUapOptions = {}): Promise<HeldOutUapResult> {
  const { method = 'sgd', heldOutShare = UAP_HELD_OUT_SHARE, splitSeed = 0, stratum, signal, onProgress } = options;
  if (pictures.length === 0) throw new InvalidInputError('no training images');
  const split = heldOutSplit(pictures.length, { share: heldOutShare, seed: splitSeed, ...(stratum ? { stratum: (i: number) => stratum(pictures[i]!.name) } : {}) });
  const train = split.train.map((i) => pictures[i]!.input);
  const held = split.heldOut.map((i) => pictures[i]!.input);
  if (train.length === 0) throw new InvalidInputError('no training images');
  const evalBatches = Math.ceil(train.length / 8) + Math.ceil(held.length / 8);
  const t0 = performance.now();
  {
    let v: tf.Tensor4D;
    let steps: number;
    let views: number;
    let attack: string;
    let total = 0;
    if (method === 'sgd') {
      const r = await stochasticUniversalPerturbation(net, train, {
        ...options,
        onProgress: onProgress && ((p) => onProgress({ ...p, steps: (total = p.steps + evalBatches) })),
      });
      ({ perturbation: v, steps, views, attack } = r);
    } else {
      const r = await universalPerturbation(net, train, {
        ...(options.eps !== undefined ? { eps: options.eps } : {}),
        ...(options.maxPasses !== undefined ? { maxPasses: options.maxPasses } : {}),
        ...(options.targetRate !== undefined ? { targetRate: options.targetRate } : {}),
        ...(options.attack ? { attack: options.attack } : {}),
        seed: options.seed ?? 0,
        signal,
        onProgress: onProgress && ((p) => onProgress({ ...p, steps: (total = p.steps + evalBatches) })),
      });
      v = r.perturbation;
      steps = r.passes;
      views = r.passes * train.length;
      attack = r.attack;
    }
    const trainMs = performance.now() - t0;
    try {
      let done = total - evalBatches;
      const tick = () => onProgress?.({ step: ++done, steps: total, objective: 0, image: v });
      const foolingRate = await batchedFoolingRate(net, train, v, 8, signal, tick);
      const heldOutRate = held.length > 0 ? await batchedFoolingRate(net, held, v, 8, signal, tick) : Number.NaN;
      return {
        perturbation: v,
        foolingRate,
        heldOutRate,
        train: split.train.map((i) => pictures[i]!.name),
        heldOut: split.heldOut.map((i) => pictures[i]!.name),
        attack,
        method,
        eps: options.eps ?? UAP_SGD_DEFAULTS.eps,
        steps,
        views,
        trainMs,
      };
    } catch (err) {
      v.dispose();
      throw err;
    }
  }
}
