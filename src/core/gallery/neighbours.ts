import { InvalidInputError } from '../errors';
import type { RgbaImage } from '../preprocess';
import { resampleImage } from './draw';
import type { FeatureExtractor } from './features';
import { type GalleryEntry, type SkipHandler, type SkippedImage, skipReason } from './gallery';

/**
 * The distances nearest() and findNeighbours() can use: 'l2' (Euclidean) and 'cosine' (1 − cos θ, in [0, 2]); see
 * distance().
 */
export const METRICS = ['l2', 'cosine'] as const;
/** One of METRICS. */
export type Metric = (typeof METRICS)[number];

/** 'feature': the pooled CNN features; 'pixel': downsampled pixels (what "looks alike" means without a network). */
export const SPACES = ['feature', 'pixel'] as const;
/** One of SPACES: where image vectors for neighbour search come from. */
export type Space = (typeof SPACES)[number];

/** Side of the square the pixel space downsamples to: 32×32×3 = 3,072 values, like CIFAR's tiny images. */
export const PIXEL_SPACE_SIZE = 32;

/** Euclidean distance, or cosine distance 1 − cos θ (0 for the same direction, 2 for opposite). */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>, metric: Metric): number {
  if (a.length !== b.length) throw new InvalidInputError(`vectors differ in length (${a.length} vs ${b.length})`);
  if (metric === 'l2') {
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      const d = a[i]! - b[i]!;
      sum += d * d;
    }
    return Math.sqrt(sum);
  }
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  // A zero vector has no direction: count it as orthogonal to everything.
  if (na === 0 || nb === 0) return 1;
  return 1 - dot / Math.sqrt(na * nb);
}

/** One result of nearest(): which point and how far it is from the query. */
export interface Neighbour {
  /** Index into the searched points. */
  index: number;
  /** Distance to the query in the metric used (≥ 0; cosine at most 2). */
  distance: number;
}

/** The k points nearest to `query` (exact search; ties by index), leaving out indices for which `exclude` holds. */
export function nearest(
  query: ArrayLike<number>,
  points: readonly ArrayLike<number>[],
  k: number,
  metric: Metric,
  exclude: (index: number) => boolean = () => false,
): Neighbour[] {
  if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`k must be a positive integer, got ${k}`);
  const all: Neighbour[] = [];
  points.forEach((p, index) => {
    if (!exclude(index)) all.push({ index, distance: distance(query, p, metric) });
  });
  all.sort((a, b) => a.distance - b.distance || a.index - b.index);
  return all.slice(0, k);
}

/** The pixel-space vector: the whole image stretched like the model input, box-downsampled, RGB in [0, 1]. */
export function pixelVector(image: RgbaImage, size = PIXEL_SPACE_SIZE): Float32Array {
  const small = resampleImage(image, size, size);
  const out = new Float32Array(size * size * 3);
  for (let i = 0, j = 0; i < small.data.length; i += 4, j += 3) {
    out[j] = small.data[i]! / 255;
    out[j + 1] = small.data[i + 1]! / 255;
    out[j + 2] = small.data[i + 2]! / 255;
  }
  return out;
}

/** Vectors of one space for the readable entries, in gallery order. */
export interface SpaceVectors {
  entries: GalleryEntry[];
  vectors: Float32Array[];
  skipped: SkippedImage[];
}

/** Pixel-space vectors of the entries that decode; the others are reported and left out. */
export async function pixelVectors(entries: readonly GalleryEntry[], onSkip?: SkipHandler, size = PIXEL_SPACE_SIZE): Promise<SpaceVectors> {
  const out: SpaceVectors = { entries: [], vectors: [], skipped: [] };
  for (const entry of entries) {
    try {
      out.vectors.push(pixelVector(await entry.decode(), size));
      out.entries.push(entry);
    } catch (err) {
      const skipped = { name: entry.name, reason: skipReason(err) };
      out.skipped.push(skipped);
      onSkip?.(skipped);
    }
  }
  return out;
}

/** Vectors for a space: pooled features through the extractor (and its cache), or downsampled pixels. */
export async function spaceVectors(
  space: Space,
  extractor: FeatureExtractor,
  entries: readonly GalleryEntry[],
  onSkip?: SkipHandler,
  signal?: AbortSignal,
): Promise<SpaceVectors> {
  if (space === 'pixel') return pixelVectors(entries, onSkip);
  const set = await extractor.features(entries, { onSkip, signal });
  return { entries: set.entries, vectors: set.vectors, skipped: set.skipped };
}

/** One gallery image found near the query, with its distance. */
export interface NeighbourMatch {
  entry: GalleryEntry;
  /** Distance to the query (see Neighbour.distance). */
  distance: number;
}

/**
 * What findNeighbours returns: the space and metric searched and the k nearest images, nearest first (ties by gallery
 * order).
 */
export interface NeighbourResult {
  space: Space;
  metric: Metric;
  /** At most k matches, nearest first; the query itself (same content id) is never among them. */
  neighbours: NeighbourMatch[];
}

/** Options of findNeighbours; all optional. */
export interface NeighbourOptions {
  /** Neighbours to return, a positive integer (default 5; InvalidInputError otherwise). */
  k?: number;
  /** 'feature' (pooled CNN features, default) or 'pixel' (32 × 32 RGB in [0, 1]). */
  space?: Space;
  /** 'l2' (default) or 'cosine'. */
  metric?: Metric;
  /** Called once per gallery image that cannot be read; the search goes on without it. */
  onSkip?: SkipHandler;
  /** Stops feature extraction between batches. */
  signal?: AbortSignal;
}

/**
 * The k gallery images nearest to `query` in the chosen space and metric. The query itself (same content id) is
 * never its own neighbour.
 */
export async function findNeighbours(
  extractor: FeatureExtractor,
  query: GalleryEntry,
  gallery: readonly GalleryEntry[],
  { k = 5, space = 'feature', metric = 'l2', onSkip, signal }: NeighbourOptions = {},
): Promise<NeighbourResult> {
  const q = await spaceVectors(space, extractor, [query], undefined, signal);
  if (q.vectors.length === 0) throw new InvalidInputError(`cannot read the query image ${query.name}: ${q.skipped[0]?.reason ?? 'unknown error'}`);
  const g = await spaceVectors(space, extractor, gallery, onSkip, signal);
  const found = nearest(q.vectors[0]!, g.vectors, k, metric, (i) => g.entries[i]!.id === query.id);
  return { space, metric, neighbours: found.map((n) => ({ entry: g.entries[n.index]!, distance: n.distance })) };
}

/** The three views the lecture compares: feature space by L2 and by cosine, pixel space by L2. */
export const STANDARD_VIEWS: readonly { space: Space; metric: Metric }[] = [
  { space: 'feature', metric: 'l2' },
  { space: 'feature', metric: 'cosine' },
  { space: 'pixel', metric: 'l2' },
];

/**
 * Several neighbour views at once, each space's vectors computed only once (a side-by-side comparison).
 * Skipped images are reported once per space that had to decode them.
 */
export async function compareNeighbours(
  extractor: FeatureExtractor,
  query: GalleryEntry,
  gallery: readonly GalleryEntry[],
  { k = 5, views = STANDARD_VIEWS, onSkip, signal }: { k?: number; views?: readonly { space: Space; metric: Metric }[]; onSkip?: SkipHandler; signal?: AbortSignal } = {},
): Promise<NeighbourResult[]> {
  const bySpace = new Map<Space, { q: SpaceVectors; g: SpaceVectors }>();
  const reported = new Set<string>();
  const once: SkipHandler = (s) => {
    if (reported.has(s.name)) return;
    reported.add(s.name);
    onSkip?.(s);
  };
  for (const space of new Set(views.map((v) => v.space))) {
    const q = await spaceVectors(space, extractor, [query], undefined, signal);
    if (q.vectors.length === 0) throw new InvalidInputError(`cannot read the query image ${query.name}: ${q.skipped[0]?.reason ?? 'unknown error'}`);
    bySpace.set(space, { q, g: await spaceVectors(space, extractor, gallery, once, signal) });
  }
  return views.map(({ space, metric }) => {
    const { q, g } = bySpace.get(space)!;
    const found = nearest(q.vectors[0]!, g.vectors, k, metric, (i) => g.entries[i]!.id === query.id);
    return { space, metric, neighbours: found.map((n) => ({ entry: g.entries[n.index]!, distance: n.distance })) };
  });
}

/**
 * Leave-one-out nearest-neighbour agreement: for each point i with a label (`labels[i]` defined), whether its
 * nearest OTHER point among all `points` (by `metric`; ties to the lower index) has the same label — a point whose
 * nearest neighbour is unlabelled counts as a miss. Returns the matches and the labelled count; the fraction
 * matched/total is the 1-NN accuracy of the space (Cover & Hart 1967), the standard check that a representation
 * groups what belongs together.
 */
export function neighbourAgreement(points: readonly ArrayLike<number>[], labels: readonly (string | undefined)[], metric: Metric): { matched: number; total: number } {
  if (points.length !== labels.length) throw new InvalidInputError(`${points.length} points but ${labels.length} labels`);
  let matched = 0;
  let total = 0;
  points.forEach((p, i) => {
    if (labels[i] === undefined) return;
    total++;
    const [first] = nearest(p, points, 1, metric, (j) => j === i);
    if (first && labels[first.index] === labels[i]) matched++;
  });
  return { matched, total };
}
