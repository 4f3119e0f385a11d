/**
 * The pure, dependency-free half of segmentation without supervision (Simonyan et al. 2014 §3.2 + GrabCut): seeding
 * GrabCut's mask from an attribution map by quantiles, and the box, foreground fraction and outline of the mask it
 * returns. No TensorFlow.js and no OpenCV, so the page (result view), the GrabCut worker and Node all import it.
 */
import type { AttributionMethodName } from './attribution/defaults';
import { InvalidInputError } from './errors';
import type { RgbaImage } from './preprocess';

/** GrabCut's mask labels, as OpenCV numbers them (cv.GC_BGD … cv.GC_PR_FGD). */
export const GC = Object.freeze({ BGD: 0, FGD: 1, PR_BGD: 2, PR_FGD: 3 });

/**
 * Segmentation defaults, declared once (the CLI, the worker's job and the app read them). The quantiles are
 * Simonyan et al. 2014's: "foreground … pixels with saliency higher than the 95% quantile of the saliency
 * distribution, background … smaller than the 30% quantile".
 */
export const SEGMENT_DEFAULTS = Object.freeze({
  /**
   * The attribution method whose map seeds GrabCut. The paper's is the gradient saliency ('saliency'); with the lite
   * MobileNet its top 5 % are scattered specks and the largest region GrabCut keeps is a part of the object (box IoU
   * 0.08 on the coffee cup, 0.24 on the cat), while Grad-CAM's smooth map gave IoU 0.70–0.87 on the same photos
   * (README, "Cut-out"), so Grad-CAM (Selvaraju et al. 2017) seeds by default and `--method saliency` gives the paper's.
   */
  method: 'gradcam' as AttributionMethodName,
  /** Quantile of the map above which pixels are seeded as confident foreground (GC_FGD), in (0, 1). */
  foregroundQuantile: 0.95,
  /** Quantile of the map below which pixels are seeded as confident background (GC_BGD), in (0, 1). */
  backgroundQuantile: 0.3,
  /** GrabCut iterations (colour-model re-estimation + min cut); OpenCV's samples use 5. */
  iterations: 5,
});


/** A binary mask over an image, row-major: 1 = foreground. */
export interface BinaryMask {
  width: number;
  height: number;
  /** 0 or 1 per pixel, width × height. */
  data: Uint8Array;
}

/** An axis-aligned box in pixels: left, top, width, height (the pixel rows/columns it spans). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Runs GrabCut on `image` (RGBA, the alpha ignored) from the seed labels `seed` (GC values, width × height row-major,
 * initialised with the mask: OpenCV's GC_INIT_WITH_MASK) for `iterations` iterations, resolving to the final labels
 * (GC values). It must not keep `image` or `seed` past its promise. Rejects with an AbortError when `signal` aborts.
 */
export type GrabCutRunner = (image: RgbaImage, seed: Uint8Array, iterations: number, signal?: AbortSignal) => Promise<Uint8Array>;

/**
 * The q-quantile (q in [0, 1]) of `values`: the value at rank q·(n−1) of the sorted values, interpolated linearly
 * between neighbours (numpy's default `linear` method).
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * GrabCut seed labels from an attribution map (Simonyan et al. 2014): pixels strictly above the
 * `foregroundQuantile` of the map are GC_FGD, pixels strictly below its `backgroundQuantile` GC_BGD, the rest
 * GC_PR_FGD when at or above the map's median, else GC_PR_BGD. A flat map (every value equal) has nothing above or
 * below: it throws InvalidInputError, since no seed says where the object is. Quantiles must satisfy
 * 0 < background < foreground < 1.
 */
export function seedFromMap(
  map: ArrayLike<number>,
  { foregroundQuantile = SEGMENT_DEFAULTS.foregroundQuantile, backgroundQuantile = SEGMENT_DEFAULTS.backgroundQuantile }: { foregroundQuantile?: number; backgroundQuantile?: number } = {},
): Uint8Array {
  if (!(backgroundQuantile > 0 && backgroundQuantile < foregroundQuantile && foregroundQuantile < 1)) {
    throw new InvalidInputError(`segmentation quantiles must satisfy 0 < background < foreground < 1, got ${backgroundQuantile} and ${foregroundQuantile}`);
  }
  const hi = quantile(map, foregroundQuantile);
  const lo = quantile(map, backgroundQuantile);
  const mid = quantile(map, 0.5);
  const seed = new Uint8Array(map.length);
  let fg = 0;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (v > hi) {
      seed[i] = GC.FGD;
      fg++;
    } else if (v < lo) seed[i] = GC.BGD;
    else seed[i] = v >= mid ? GC.PR_FGD : GC.PR_BGD;
  }
  if (fg === 0) throw new InvalidInputError('the attribution map is flat: no pixel stands out to seed the object');
  return seed;
}

/** Foreground (GC_FGD or GC_PR_FGD) → 1, background → 0. */
export function foregroundOf(labels: Uint8Array, width: number, height: number): BinaryMask {
  const data = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) data[i] = labels[i] === GC.FGD || labels[i] === GC.PR_FGD ? 1 : 0;
  return { width, height, data };
}

/** The tightest box around the mask's foreground pixels, or undefined when it has none. */
export function maskBox(mask: BinaryMask): Box | undefined {
  let x0 = mask.width, y0 = mask.height, x1 = -1, y1 = -1;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * The largest 8-connected region of the mask's foreground (ties: the one met first in row-major order), as a mask;
 * an empty mask gives an empty mask. Simonyan et al. 2014 (§3.1) box the object by the largest connected component
 * of the GrabCut segmentation, since a saliency-seeded cut keeps a few small islands elsewhere.
 */
export function largestComponent(mask: BinaryMask): BinaryMask {
  const { width: w, height: h, data } = mask;
  const label = new Int32Array(data.length);
  const stack = new Int32Array(data.length);
  let best = 0, bestSize = 0, next = 0;
  for (let start = 0; start < data.length; start++) {
    if (!data[start] || label[start]) continue;
    next++;
    let size = 0, top = 0;
    stack[top++] = start;
    label[start] = next;
    while (top > 0) {
      const i = stack[--top]!;
      size++;
      const x = i % w, y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const j = ny * w + nx;
          if (data[j] && !label[j]) {
            label[j] = next;
            stack[top++] = j;
          }
        }
      }
    }
    if (size > bestSize) {
      bestSize = size;
      best = next;
    }
  }
  const out = new Uint8Array(data.length);
  if (best) for (let i = 0; i < data.length; i++) out[i] = label[i] === best ? 1 : 0;
  return { width: w, height: h, data: out };
}

/** Share of the mask's pixels that are foreground, [0, 1]. */
export function foregroundFraction(mask: BinaryMask): number {
  let n = 0;
  for (const v of mask.data) n += v;
  return mask.data.length ? n / mask.data.length : 0;
}

/**
 * The outline: foreground pixels with a 4-neighbour outside the foreground (or on the image border), as a mask.
 */
export function outline(mask: BinaryMask): BinaryMask {
  const { width: w, height: h, data } = mask;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!data[i]) continue;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1 || !data[i - 1] || !data[i + 1] || !data[i - w] || !data[i + w]) out[i] = 1;
    }
  }
  return { width: w, height: h, data: out };
}

/** Intersection over union of two boxes (0 when either is empty). */
export function boxIoU(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}


/**
 * A box in model-input pixels (a `size`×`size` map over `crop`) → the same box in the pixels `crop` is given in
 * (edges scaled, then rounded outwards).
 */
export function boxInPicture(box: Box, crop: { x: number; y: number; width: number; height: number }, size: { width: number; height: number }): Box {
  const sx = crop.width / size.width;
  const sy = crop.height / size.height;
  const x0 = Math.floor(crop.x + box.x * sx);
  const y0 = Math.floor(crop.y + box.y * sy);
  const x1 = Math.ceil(crop.x + (box.x + box.width) * sx);
  const y1 = Math.ceil(crop.y + (box.y + box.height) * sy);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * The cut-out: the `crop` of `image` (RGBA) with the mask (over the crop, any resolution) as its alpha, sampled
 * bilinearly at each pixel's centre so the edge is smooth rather than blocky (alpha 0–255).
 */
export function cutout(image: RgbaImage, crop: { x: number; y: number; width: number; height: number }, mask: BinaryMask): RgbaImage {
  const w = Math.max(1, Math.round(crop.width));
  const h = Math.max(1, Math.round(crop.height));
  const out = new Uint8ClampedArray(w * h * 4);
  const m = (x: number, y: number): number => mask.data[Math.min(mask.height - 1, Math.max(0, y)) * mask.width + Math.min(mask.width - 1, Math.max(0, x))]!;
  for (let y = 0; y < h; y++) {
    const my = ((y + 0.5) * mask.height) / h - 0.5;
    const y0 = Math.floor(my), fy = my - y0;
    const sy = Math.min(image.height - 1, Math.round(crop.y) + y);
    for (let x = 0; x < w; x++) {
      const mx = ((x + 0.5) * mask.width) / w - 0.5;
      const x0 = Math.floor(mx), fx = mx - x0;
      const a = (m(x0, y0) * (1 - fx) + m(x0 + 1, y0) * fx) * (1 - fy) + (m(x0, y0 + 1) * (1 - fx) + m(x0 + 1, y0 + 1) * fx) * fy;
      const sx = Math.min(image.width - 1, Math.round(crop.x) + x);
      const si = (sy * image.width + sx) * 4, oi = (y * w + x) * 4;
      out[oi] = image.data[si]!;
      out[oi + 1] = image.data[si + 1]!;
      out[oi + 2] = image.data[si + 2]!;
      out[oi + 3] = Math.round(a * 255);
    }
  }
  return { width: w, height: h, data: out };
}
