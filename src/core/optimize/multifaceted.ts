import * as tf from '@tensorflow/tfjs';
import { kmeans } from 'ml-kmeans';
import { throwIfAborted } from '../cancel';
import { InvalidInputError } from '../errors';
import type { FeatureExtractor } from '../gallery/features';
import type { GalleryEntry, SkipHandler, SkippedImage } from '../gallery/gallery';
import type { ConvNet } from '../network';
import { imageToModelInput } from '../preprocess';
import { type Target, checkTarget } from '../target';
import { optimize } from './engine';
import { CENTRE_BIAS_DEFAULTS, MULTIFACETED_DEFAULTS } from './multifaceted-defaults';
import { channelMean, classLogit, type Objective } from './objectives';
import { probabilities, quantize } from './pixels';
import { pixelRange } from './projections';
import { blur, jitter } from './regularisers';
import { normalizedAscent, type StepRule } from './steps';
import { evaluate } from './visualize';

/**
 * Multifaceted feature visualisation (Nguyen, Yosinski & Clune 2016, "Multifaceted Feature Visualization:
 * Uncovering the Different Types of Features Learned By Each Neuron in Deep Neural Networks"). A class (or channel)
 * responds to several kinds of image — its facets; one activation-maximisation image mixes them. The paper's recipe,
 * as implemented here:
 *   1. score every gallery image for the unit and keep the top N (the paper: the training images of the class);
 *   2. cluster their pooled features (the layer before the logits) with k-means into k facets (the paper clusters
 *      fc7 features after a t-SNE to 2-D; we cluster the pooled features directly, k-means++ with restarts);
 *   3. start the optimisation of each facet from the mean of its members' 224×224 model inputs;
 *   4. ascend the unit with the centre-biased update (centreBias) and jitter, so one object forms in the middle.
 * Deep-generator priors (Nguyen et al. 2016b) are not implemented: they need a trained image generator.
 */

/** What facets can be found for: a class logit or a channel's mean activation (the core's Target kinds). */
export type FacetTarget = Extract<Target, { kind: 'class' | 'channel' }>;

/** One gallery image with its score for the target: the class logit, or the channel's mean activation. */
export interface ScoredImage {
  entry: GalleryEntry;
  /** Class logit (before the softmax), or the channel's mean over its feature map (the layer's own output). */
  score: number;
}

/** Every readable gallery image scored for a target, with its pooled feature vector, in gallery order. */
export interface GalleryScores {
  images: ScoredImage[];
  /** Pooled features (net.featuresLayer), one per image in `images`. */
  features: Float32Array[];
  skipped: SkippedImage[];
}

/** Options of scoreGallery: cancellation, progress over the gallery's images and skipped-image reports. */
export interface ScoreOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  onSkip?: SkipHandler;
}

/**
 * Scores every readable entry for `target` with `extractor` (so cached or precomputed features are reused). A class
 * score is the logit: the pooled features run through the network's head (net.runFrom the features layer), equal to
 * a full forward pass; a channel score is the mean of the channel over the layer's feature map. Throws
 * InvalidInputError for a target the network does not have; AbortError-like rejections on cancel.
 */
export async function scoreGallery(extractor: FeatureExtractor, entries: readonly GalleryEntry[], target: FacetTarget, options: ScoreOptions = {}): Promise<GalleryScores> {
  const net = extractor.net;
  checkTarget(net, target);
  const skipped: SkippedImage[] = [];
  const onSkip: SkipHandler = (s) => {
    skipped.push(s);
    options.onSkip?.(s);
  };
  const run = { signal: options.signal, onProgress: options.onProgress, onSkip };
  if (target.kind === 'class') {
    const set = await extractor.features(entries, run);
    if (set.entries.length === 0) return { images: [], features: [], skipped };
    const shape = net.layer(net.featuresLayer).outputShape;
    const logits = tf.tidy(() => {
      // runFrom takes the layer's own shape ([N, 256] here); its Tensor4D type is the spatial case.
      const f = tf.tensor(concat(set.vectors), [set.vectors.length, ...shape]);
      const taps = net.runFrom(net.featuresLayer, f as tf.Tensor4D, { logits: true });
      return tf.squeeze(tf.slice(taps.logits!, [0, target.index], [-1, 1]), [1]);
    });
    const values = await logits.data();
    logits.dispose();
    return { images: set.entries.map((entry, i) => ({ entry, score: values[i]! })), features: set.vectors, skipped };
  }
  const layers = target.layer === net.featuresLayer ? [net.featuresLayer] : [target.layer, net.featuresLayer];
  const images: ScoredImage[] = [];
  const features: Float32Array[] = [];
  for await (const item of extractor.activations(entries, layers, run)) {
    const a = item.values[target.layer]!;
    const channels = a.shape.at(-1)!;
    let sum = 0;
    for (let i = target.channel; i < a.data.length; i += channels) sum += a.data[i]!;
    images.push({ entry: item.entry, score: sum / (a.data.length / channels) });
    features.push(item.values[net.featuresLayer]!.data);
  }
  return { images, features, skipped };
}

function concat(vectors: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(vectors.reduce((n, v) => n + v.length, 0));
  let offset = 0;
  for (const v of vectors) {
    out.set(v, offset);
    offset += v.length;
  }
  return out;
}

/**
 * Indices of the `n` highest scores, highest first (ties: the earlier index first); all of them when there are
 * fewer. Throws InvalidInputError for n that is not a positive integer.
 */
export function topIndices(scores: readonly number[], n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`top N must be a positive integer, got ${n}`);
  return scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, n)
    .map((s) => s.index);
}

/** A k-means clustering: cluster of each point (0..k−1), the centroids and the within-cluster sum of squares. */
export interface Clustering {
  assignments: number[];
  centroids: number[][];
  /** Σ over points of the squared Euclidean distance to its centroid. */
  inertia: number;
}

/**
 * k-means (Lloyd's algorithm with k-means++ seeding, the `ml-kmeans` library) over `points` in Euclidean space:
 * `restarts` seeded starts (seed, seed + 1, …), the one with the lowest inertia kept, so the result is a function of
 * the seed. Clusters are renumbered by first appearance (point 0 is in cluster 0). Throws InvalidInputError when k is
 * not an integer in 1..(number of distinct points) or the points differ in length.
 */
export function kmeansClusters(points: readonly ArrayLike<number>[], k: number, { seed = 1, restarts = 5 } = {}): Clustering {
  const data = points.map((p) => Array.from(p));
  const dim = data[0]?.length ?? 0;
  if (data.some((p) => p.length !== dim)) throw new InvalidInputError('points differ in length');
  const distinct = new Set(data.map((p) => p.join(','))).size;
  if (!Number.isInteger(k) || k < 1 || k > distinct) throw new InvalidInputError(`k must be an integer in 1..${distinct} (the distinct points), got ${k}`);
  let best: Clustering | undefined;
  for (let r = 0; r < restarts; r++) {
    const result = kmeans(data, k, { seed: seed + r, initialization: 'kmeans++', maxIterations: 100 });
    const inertia = data.reduce((sum, p, i) => sum + squaredDistance(p, result.centroids[result.clusters[i]!]!), 0);
    if (!best || inertia < best.inertia - 1e-9) best = { assignments: result.clusters, centroids: result.centroids, inertia };
  }
  // Renumber by first appearance, so equal partitions read the same whatever labels the library gave.
  const order = new Map<number, number>();
  for (const c of best!.assignments) if (!order.has(c)) order.set(c, order.size);
  const centroids: number[][] = [];
  for (const [old, fresh] of order) centroids[fresh] = best!.centroids[old]!;
  return { assignments: best!.assignments.map((c) => order.get(c)!), centroids, inertia: best!.inertia };
}

function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

/** Settings of the centre-biased update (CENTRE_BIAS_DEFAULTS documents each). */
export type CentreBiasSettings = typeof CENTRE_BIAS_DEFAULTS;

/**
 * The centred soft disc that weights an update: [1, size, size, 1], 1 within `radius` of the centre, falling as a
 * half cosine to 0 over `edge` beyond it (distances in units of half the side: 1 reaches the edge midpoints,
 * √2 the corners). The caller disposes it.
 */
export function centreMask(size: number, radius: number, edge: number): tf.Tensor4D {
  return tf.tidy(() => {
    const half = size / 2;
    const axis = tf.div(tf.sub(tf.add(tf.range(0, size), 0.5), half), half);
    const d = tf.sqrt(tf.add(tf.square(tf.reshape(axis, [size, 1])), tf.square(tf.reshape(axis, [1, size]))));
    const u = tf.clipByValue(tf.div(tf.sub(d, radius), Math.max(edge, 1e-6)), 0, 1);
    return tf.reshape(tf.mul(tf.add(tf.cos(tf.mul(u, Math.PI)), 1), 0.5), [1, size, size, 1]);
  });
}

/**
 * Nguyen et al. 2016's centre-biased regularisation as a step-rule wrapper: the update Δ of `inner` is multiplied by
 * centreMask (a centred disc whose radius grows linearly over the run from `radiusStart` to `radiusEnd`, reached at
 * `expandBy` of the budget) and then Gaussian-blurred with σ decaying linearly from `blurStart` to `blurEnd` pixels.
 * Early steps may change only the middle, and only smoothly; later steps refine the whole image more finely. The
 * paper optimises the centre first with heavy blur and jitter and widens/sharpens from there, so that one object
 * forms in the middle rather than many fragments across the image; this is our reading of that recipe, not their
 * code. Throws InvalidInputError for non-positive blur widths or radii.
 */
export function centreBias(inner: StepRule, settings: CentreBiasSettings = CENTRE_BIAS_DEFAULTS): StepRule {
  const s = settings;
  if (!(s.blurStart > 0 && s.blurEnd > 0)) throw new InvalidInputError(`blur widths must be > 0, got ${s.blurStart}, ${s.blurEnd}`);
  if (!(s.radiusStart > 0 && s.radiusEnd >= s.radiusStart && s.expandBy > 0 && s.edge >= 0)) throw new InvalidInputError('centre radii must grow from a positive start');
  return {
    name: `${inner.name}, centre-biased (radius ${s.radiusStart}→${s.radiusEnd}, blur σ ${s.blurStart}→${s.blurEnd} px)`,
    start: () => {
      const state = inner.start();
      return {
        update: (ctx) => {
          const t = ctx.steps > 1 ? ctx.step / (ctx.steps - 1) : 1;
          const radius = s.radiusStart + (s.radiusEnd - s.radiusStart) * Math.min(1, t / s.expandBy);
          const sigma = s.blurStart + (s.blurEnd - s.blurStart) * t;
          const delta = tf.broadcastTo(state.update(ctx), ctx.x.shape) as tf.Tensor4D;
          return blur(tf.mul(delta, centreMask(ctx.x.shape[1], radius, s.edge)) as tf.Tensor4D, sigma);
        },
        dispose: () => state.dispose(),
      };
    },
  };
}

/** Options of multifacetedVisualization; each defaults to MULTIFACETED_DEFAULTS. */
export interface MultifacetedOptions {
  /** Top-scoring gallery images clustered (default 20). */
  topN?: number;
  /** Facets, k of k-means (default 3); at most the top images' distinct feature vectors. */
  facets?: number;
  /** Gradient steps per facet (default 30). */
  steps?: number;
  /** Seed of the k-means restarts and the jitter (default 1). */
  seed?: number;
  signal?: AbortSignal;
  onSkip?: SkipHandler;
  /** Progress: scoring the gallery (images done/total), then each facet's steps; `image` is borrowed. */
  onProgress?: (progress: FacetProgress) => void;
}

/** What multifacetedVisualization reports: the phase, how far it is, and while optimising, the facet's image. */
export interface FacetProgress {
  phase: 'scoring' | 'optimising';
  /** Scoring: images done / total. Optimising: steps done over all facets / facets × steps. */
  done: number;
  total: number;
  /** Optimising: which facet (0-based). */
  facet?: number;
  /** Optimising: the facet's current image, model space (borrowed: valid during the callback only). */
  image?: tf.Tensor4D;
}

/** One facet: its members, the mean image it started from, the generated image and the unit's response to both. */
export interface Facet {
  /** The cluster's members, highest score first. */
  members: ScoredImage[];
  /** Mean of the members' model inputs, rounded to 8 bits, [1, 224, 224, 3] in [−1, 1] (the caller disposes it). */
  init: tf.Tensor4D;
  /** The optimised image, rounded to 8 bits, [1, 224, 224, 3] in [−1, 1] (the caller disposes it). */
  image: tf.Tensor4D;
  /** Class logit or channel mean activation of `image` (same units as ScoredImage.score). */
  value: number;
  /** The same for `init`. */
  initValue: number;
  /** Class targets: softmax probability of the class for `image` and for `init`, in [0, 1]. */
  probability?: number;
  initProbability?: number;
  /** Milliseconds this facet's optimisation took. */
  ms: number;
}

/** What multifacetedVisualization returns: the target, its facets (largest cluster first) and the ranking. */
export interface MultifacetedResult {
  target: FacetTarget;
  /** The class's label (class targets). */
  label?: string;
  facets: Facet[];
  /** The top N images, highest score first (the clustered set). */
  top: ScoredImage[];
  /** Gallery images scored (readable ones). */
  scored: number;
  skipped: SkippedImage[];
  /** Steps per facet. */
  steps: number;
}

/** Mean of the entries' stretched 224×224 model inputs, [1, 224, 224, 3]. */
async function meanInput(net: ConvNet, entries: readonly GalleryEntry[]): Promise<tf.Tensor4D> {
  let sum: tf.Tensor4D | undefined;
  for (const entry of entries) {
    const input = imageToModelInput(await entry.decode(), 'stretch', net.inputSize).tensor;
    const next = sum ? (tf.add(sum, input) as tf.Tensor4D) : input;
    if (sum) {
      sum.dispose();
      input.dispose();
    }
    sum = next;
  }
  const mean = tf.tidy(() => quantize(tf.div(sum!, entries.length) as tf.Tensor4D));
  sum!.dispose();
  return mean;
}

function objectiveOf(net: ConvNet, target: FacetTarget, preActivation: boolean): Objective {
  return target.kind === 'class' ? classLogit(net, target.index) : channelMean(net, target.layer, target.channel, { preActivation });
}

/**
 * Multifaceted feature visualisation (see the top of this file): scores `entries` for `target`, clusters the top N
 * by their pooled features into `facets` clusters, and for each cluster ascends the unit from the mean of its members'
 * model inputs with jitter ±8 px and the centre-biased normalised-ascent update (lr 0.04, gradient normalised).
 * Facets come largest first. Throws InvalidInputError for a bad target, bad counts, or fewer distinct readable
 * images than facets; rejects with AbortError on cancel (freeing every tensor). The facets' tensors are the caller's.
 */
export async function multifacetedVisualization(extractor: FeatureExtractor, entries: readonly GalleryEntry[], target: FacetTarget, options: MultifacetedOptions = {}): Promise<MultifacetedResult> {
  const net = extractor.net;
  const topN = options.topN ?? MULTIFACETED_DEFAULTS.topN;
  const k = options.facets ?? MULTIFACETED_DEFAULTS.facets;
  const steps = options.steps ?? MULTIFACETED_DEFAULTS.steps;
  const seed = options.seed ?? MULTIFACETED_DEFAULTS.seed;
  if (!Number.isInteger(topN) || topN < 2) throw new InvalidInputError(`top N must be an integer ≥ 2, got ${topN}`);
  if (!Number.isInteger(k) || k < 1 || k > topN) throw new InvalidInputError(`facets must be an integer in 1..${topN} (top N), got ${k}`);
  if (!Number.isInteger(steps) || steps < 0) throw new InvalidInputError(`steps must be a non-negative integer, got ${steps}`);
  checkTarget(net, target);
  const { signal } = options;
  throwIfAborted(signal);
  const scores = await scoreGallery(extractor, entries, target, {
    signal,
    onSkip: options.onSkip,
    onProgress: (done, total) => options.onProgress?.({ phase: 'scoring', done, total }),
  });
  const chosen = topIndices(scores.images.map((s) => s.score), topN);
  if (chosen.length < k) throw new InvalidInputError(`the gallery has ${chosen.length} readable images, fewer than the ${k} facets asked for`);
  const clustering = kmeansClusters(chosen.map((i) => scores.features[i]!), k, { seed });
  const groups: ScoredImage[][] = Array.from({ length: k }, () => []);
  chosen.forEach((i, j) => groups[clustering.assignments[j]!]!.push(scores.images[i]!));
  // Largest facet first; among equals, the one holding the higher-scoring image (members are already by score).
  groups.sort((a, b) => b.length - a.length || b[0]!.score - a[0]!.score);
  const facets: Facet[] = [];
  const measure = objectiveOf(net, target, false);
  try {
    for (const [f, members] of groups.entries()) {
      throwIfAborted(signal);
      const t0 = performance.now();
      const init = await meanInput(net, members.map((m) => m.entry));
      try {
        const run = await optimize(net, {
          objective: objectiveOf(net, target, true),
          init,
          steps,
          stepRule: centreBias(normalizedAscent(0.04)),
          regularisers: [jitter(8)],
          projections: [pixelRange()],
          normalizeGradient: true,
          seed: seed + f,
          signal,
          onProgress: (p) => options.onProgress?.({ phase: 'optimising', done: f * steps + p.step, total: groups.length * steps, facet: f, image: p.image }),
        });
        const image = quantize(run.image);
        run.image.dispose();
        const facet: Facet = { members, init, image, value: 0, initValue: 0, ms: 0 };
        facets.push(facet);
        facet.value = await evaluate(net, measure, image);
        facet.initValue = await evaluate(net, measure, init);
        if (target.kind === 'class') {
          const both = tf.concat([image, init]) as tf.Tensor4D;
          const [after, before] = await probabilities(net, both).finally(() => both.dispose());
          facet.probability = after![target.index]!;
          facet.initProbability = before![target.index]!;
        }
        facet.ms = performance.now() - t0;
      } catch (err) {
        if (!facets.some((x) => x.init === init)) init.dispose();
        throw err;
      }
    }
  } catch (err) {
    for (const facet of facets) tf.dispose([facet.init, facet.image]);
    throw err;
  }
  return {
    target,
    ...(target.kind === 'class' ? { label: net.labels[target.index] ?? '' } : {}),
    facets,
    top: chosen.map((i) => scores.images[i]!),
    scored: scores.images.length,
    skipped: scores.skipped,
    steps,
  };
}
