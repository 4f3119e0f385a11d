/**
 * Reading a LIME explanation (src/core/attribution/lime.ts) out of an AttributionMap's extras, TensorFlow.js-free so
 * the page, the CLI and the tests share it: the superpixels that weigh most, either way, and their outlines.
 */

/** One superpixel of a LIME explanation. */
export interface LimeSuperpixel {
  /** Its label in the segmentation (0..count−1). */
  index: number;
  /** Its weight in the fitted linear model: the change of the score it explains when it is shown (+) or hidden. */
  weight: number;
  /** Its pixels in the map (model-input pixels). */
  pixels: number;
  /** Its bounding box in map pixels. */
  box: { x: number; y: number; width: number; height: number };
}

/** What LIME found, read from the map's extras (see readLime). */
export interface LimeExplanation {
  /** Superpixel label of each map pixel, row-major, width × height. */
  labels: ArrayLike<number>;
  /** Weight per superpixel (the linear model's coefficients), in the units of the score explained. */
  weights: number[];
  intercept: number;
  /** Weighted R² of the linear model on held-out samples (NaN when too few were held out). */
  r2: number;
  /** The network's score of the unperturbed picture. */
  score: number;
}

/** LIME's extras (labels, weights, intercept, r2, score) from a map's extras; undefined when they are not there. */
export function readLime(extras: Record<string, number | number[]> | undefined): LimeExplanation | undefined {
  const labels = extras?.['superpixels'];
  const weights = extras?.['weights'];
  const num = (key: string): number => (typeof extras?.[key] === 'number' ? extras[key] : Number.NaN);
  if (!Array.isArray(labels) || !Array.isArray(weights)) return undefined;
  return { labels, weights, intercept: num('intercept'), r2: num('r2'), score: num('score') };
}

/**
 * The k superpixels with the largest |weight| (positive and negative alike, as LIME's explanation lists them),
 * largest first, with their size and bounding box; `width` is the map's width (labels are row-major).
 */
export function topSuperpixels(lime: Pick<LimeExplanation, 'labels' | 'weights'>, width: number, k: number): LimeSuperpixel[] {
  const stats = lime.weights.map((weight, index) => ({ index, weight, pixels: 0, x0: Infinity, y0: Infinity, x1: -1, y1: -1 }));
  for (let p = 0; p < lime.labels.length; p++) {
    const s = stats[lime.labels[p]!];
    if (!s) continue;
    const [x, y] = [p % width, Math.floor(p / width)];
    s.pixels++;
    s.x0 = Math.min(s.x0, x);
    s.y0 = Math.min(s.y0, y);
    s.x1 = Math.max(s.x1, x);
    s.y1 = Math.max(s.y1, y);
  }
  return stats
    .filter((s) => s.pixels > 0)
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
    .slice(0, Math.max(0, k))
    .map((s) => ({ index: s.index, weight: s.weight, pixels: s.pixels, box: { x: s.x0, y: s.y0, width: s.x1 - s.x0 + 1, height: s.y1 - s.y0 + 1 } }));
}

/**
 * The outline of the chosen superpixels: for each map pixel, the label of the chosen superpixel whose border it is
 * on (a pixel of it with a 4-neighbour outside it or at the picture's edge), else −1.
 */
export function superpixelOutlines(labels: ArrayLike<number>, width: number, height: number, chosen: readonly number[]): Int32Array {
  const pick = new Set(chosen);
  const out = new Int32Array(width * height).fill(-1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const l = labels[p]!;
      if (!pick.has(l)) continue;
      const edge = x === 0 || y === 0 || x === width - 1 || y === height - 1 || labels[p - 1] !== l || labels[p + 1] !== l || labels[p - width] !== l || labels[p + width] !== l;
      if (edge) out[p] = l;
    }
  }
  return out;
}

/**
 * The positive evidence of the k superpixels with the largest positive weights, per map pixel (their weight inside
 * them, 0 elsewhere): the map the bias check (src/core/bias.ts) measures for "what does it really look at?".
 */
export function topEvidenceMap(lime: Pick<LimeExplanation, 'labels' | 'weights'>, k: number): Float32Array {
  const positive = lime.weights
    .map((weight, index) => ({ weight, index }))
    .filter((s) => s.weight > 0)
    .sort((a, b) => b.weight - a.weight)
    .slice(0, Math.max(0, k));
  const weightOf = new Map(positive.map((s) => [s.index, s.weight]));
  return Float32Array.from(lime.labels as ArrayLike<number>, (l) => weightOf.get(l) ?? 0);
}

/** Outline colour of a superpixel that speaks for the class (RGB). */
export const LIME_FOR_COLOUR = [60, 230, 90] as const;
/** Outline colour of a superpixel that speaks against the class (RGB). */
export const LIME_AGAINST_COLOUR = [255, 70, 160] as const;

/**
 * A transparent layer (RGBA, width × height of the map) to draw over the picture LIME explained: everything but
 * the top-k superpixels (by |weight|) dimmed by `dim` (0–1 opacity of black), the top ones left clear and outlined
 * two pixels wide, green (LIME_FOR_COLOUR) where the weight is positive, pink (LIME_AGAINST_COLOUR) where negative.
 */
export function limeLayer(lime: Pick<LimeExplanation, 'labels' | 'weights'>, width: number, height: number, k: number, dim = 0.55): { width: number; height: number; data: Uint8ClampedArray } {
  const top = topSuperpixels(lime, width, k);
  const sign = new Map(top.map((s) => [s.index, s.weight >= 0]));
  const outline = superpixelOutlines(lime.labels, width, height, top.map((s) => s.index));
  const data = new Uint8ClampedArray(width * height * 4);
  const paint = (p: number, [r, g, b]: readonly number[], a: number): void => data.set([r!, g!, b!, a], p * 4);
  for (let p = 0; p < width * height; p++) {
    if (!sign.has(lime.labels[p]!)) paint(p, [0, 0, 0], Math.round(dim * 255));
  }
  for (let p = 0; p < width * height; p++) {
    const l = outline[p]!;
    if (l < 0) continue;
    const colour = sign.get(l) ? LIME_FOR_COLOUR : LIME_AGAINST_COLOUR;
    paint(p, colour, 255);
    // Thicken inwards by one pixel (the neighbours of the same superpixel).
    for (const q of [p - 1, p + 1, p - width, p + width]) if (q >= 0 && q < width * height && lime.labels[q] === l && outline[q]! < 0) paint(q, colour, 255);
  }
  return { width, height, data };
}

/** `layer` (RGBA with alpha) composited over `base` (same size, opaque RGBA): a new picture. */
export function compositeOver(base: { width: number; height: number; data: ArrayLike<number> }, layer: { width: number; height: number; data: ArrayLike<number> }): { width: number; height: number; data: Uint8ClampedArray } {
  if (base.width !== layer.width || base.height !== layer.height) throw new RangeError(`a ${layer.width}×${layer.height} layer does not fit a ${base.width}×${base.height} picture`);
  const data = new Uint8ClampedArray(base.width * base.height * 4);
  for (let p = 0; p < base.width * base.height; p++) {
    const a = layer.data[p * 4 + 3]! / 255;
    for (let c = 0; c < 3; c++) data[p * 4 + c] = base.data[p * 4 + c]! * (1 - a) + layer.data[p * 4 + c]! * a;
    data[p * 4 + 3] = 255;
  }
  return { width: base.width, height: base.height, data };
}
