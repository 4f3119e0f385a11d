import type { CropRect, RgbaImage } from '../preprocess';
import { blankImage } from '../render/image';

/**
 * A colour as [red, green, blue, alpha], each 0–255 (alpha 255 = opaque), as fillRect, strokeRect, drawText and the
 * gallery PALETTE take it.
 */
export type Rgba = readonly [number, number, number, number];

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  /** Taps per output sample (fixed stride into `weights`). */
  stride: number;
}

/**
 * 1-D resampling weights: a triangle (bilinear) kernel, widened by the shrink factor when downscaling so every
 * source pixel contributes (a box-like average instead of aliasing); sources clamped to [lo, hi).
 */
function taps(outSize: number, from: number, length: number, lo: number, hi: number): Taps {
  const scale = length / outSize;
  const support = Math.max(1, scale);
  const stride = Math.ceil(support) * 2 + 2;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const centre = from + (o + 0.5) * scale;
    const first = Math.max(lo, Math.floor(centre - support));
    const last = Math.min(hi - 1, Math.ceil(centre + support), first + stride - 1);
    let sum = 0;
    for (let s = first; s <= last; s++) {
      const w = Math.max(0, 1 - Math.abs(s + 0.5 - centre) / support);
      weights[o * stride + s - first] = w;
      sum += w;
    }
    if (sum === 0) {
      // A sliver thinner than one source pixel: take the nearest one.
      const nearest = Math.min(hi - 1, Math.max(lo, Math.floor(centre)));
      start[o] = nearest;
      count[o] = 1;
      weights[o * stride] = 1;
      continue;
    }
    for (let s = first; s <= last; s++) weights[o * stride + s - first]! /= sum;
    start[o] = first;
    count[o] = last - first + 1;
  }
  return { start, count, weights, stride };
}

/**
 * Resamples the `rect` region of an image (default: all of it) to width×height, antialiased when shrinking.
 * Pixels outside the image are never read: the rectangle is clamped to it.
 */
export function resampleImage(image: RgbaImage, width: number, height: number, rect?: CropRect): RgbaImage {
  const r = rect ?? { x: 0, y: 0, width: image.width, height: image.height };
  const x0 = Math.max(0, Math.floor(r.x));
  const x1 = Math.min(image.width, Math.ceil(r.x + r.width));
  const y0 = Math.max(0, Math.floor(r.y));
  const y1 = Math.min(image.height, Math.ceil(r.y + r.height));
  if (!(width > 0 && height > 0) || x1 <= x0 || y1 <= y0) return blankImage(Math.max(1, width), Math.max(1, height));
  const tx = taps(width, r.x, r.width, x0, x1);
  const ty = taps(height, r.y, r.height, y0, y1);
  const rows = y1 - y0;
  // Horizontal pass over the rows the vertical pass can reach.
  const tmp = new Float32Array(rows * width * 4);
  for (let y = 0; y < rows; y++) {
    const src = (y + y0) * image.width * 4;
    for (let o = 0; o < width; o++) {
      let a = 0, b = 0, c = 0, d = 0;
      const base = o * tx.stride;
      for (let t = 0; t < tx.count[o]!; t++) {
        const w = tx.weights[base + t]!;
        const i = src + (tx.start[o]! + t) * 4;
        a += image.data[i]! * w;
        b += image.data[i + 1]! * w;
        c += image.data[i + 2]! * w;
        d += image.data[i + 3]! * w;
      }
      const j = (y * width + o) * 4;
      tmp[j] = a;
      tmp[j + 1] = b;
      tmp[j + 2] = c;
      tmp[j + 3] = d;
    }
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let o = 0; o < height; o++) {
    const base = o * ty.stride;
    for (let x = 0; x < width; x++) {
      let a = 0, b = 0, c = 0, d = 0;
      for (let t = 0; t < ty.count[o]!; t++) {
        const w = ty.weights[base + t]!;
        const i = ((ty.start[o]! + t - y0) * width + x) * 4;
        a += tmp[i]! * w;
        b += tmp[i + 1]! * w;
        c += tmp[i + 2]! * w;
        d += tmp[i + 3]! * w;
      }
      const j = (o * width + x) * 4;
      out[j] = a;
      out[j + 1] = b;
      out[j + 2] = c;
      out[j + 3] = d;
    }
  }
  return { width, height, data: out };
}

/** Scales an image to fit inside a max×max box, keeping its aspect ratio. */
export function thumbnail(image: RgbaImage, max: number): RgbaImage {
  const scale = max / Math.max(image.width, image.height);
  return resampleImage(image, Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)));
}

/** Copies `src` onto `dst` with its top-left corner at (x, y), clipped to `dst` (alpha ignored: opaque paste). */
export function paste(dst: RgbaImage, src: RgbaImage, x: number, y: number): void {
  const ox = Math.round(x);
  const oy = Math.round(y);
  const left = Math.max(0, -ox);
  const right = Math.min(src.width, dst.width - ox);
  if (right <= left) return;
  for (let row = Math.max(0, -oy); row < Math.min(src.height, dst.height - oy); row++) {
    const from = (row * src.width + left) * 4;
    dst.data.set(src.data.subarray(from, from + (right - left) * 4), ((oy + row) * dst.width + ox + left) * 4);
  }
}

/** Fills a rectangle (clipped to the image). */
export function fillRect(dst: RgbaImage, rect: CropRect, color: Rgba): void {
  const x0 = Math.max(0, Math.round(rect.x));
  const y0 = Math.max(0, Math.round(rect.y));
  const x1 = Math.min(dst.width, Math.round(rect.x + rect.width));
  const y1 = Math.min(dst.height, Math.round(rect.y + rect.height));
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) dst.data.set(color, (y * dst.width + x) * 4);
}

/** Draws a rectangle's outline, `thickness` pixels wide, inside the rectangle. */
export function strokeRect(dst: RgbaImage, rect: CropRect, color: Rgba, thickness = 1): void {
  const { x, y, width, height } = rect;
  const t = Math.min(thickness, width / 2, height / 2);
  fillRect(dst, { x, y, width, height: t }, color);
  fillRect(dst, { x, y: y + height - t, width, height: t }, color);
  fillRect(dst, { x, y, width: t, height }, color);
  fillRect(dst, { x: x + width - t, y, width: t, height }, color);
}

/**
 * A 3×5 pixel font for numbers (distances and activations printed under thumbnails: the PNGs are read without
 * the JSON beside them). Each glyph is 5 rows of 3 bits, top row first, leftmost pixel in the high bit.
 */
const GLYPHS: Record<string, readonly number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 2, 2, 2],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2],
  '-': [0, 0, 7, 0, 0],
  'e': [0, 7, 7, 4, 7],
  '+': [0, 2, 7, 2, 0],
  ' ': [0, 0, 0, 0, 0],
};

/** Width in pixels of `text` drawn with `drawText` at the given scale. */
export function textWidth(text: string, scale = 2): number {
  return text.length === 0 ? 0 : (text.length * 4 - 1) * scale;
}

/** Draws digits (and . - + e) with the built-in 3×5 font; other characters are left blank. */
export function drawText(dst: RgbaImage, text: string, x: number, y: number, color: Rgba, scale = 2): void {
  let ox = Math.round(x);
  for (const ch of text) {
    const rows = GLYPHS[ch];
    if (rows) {
      rows.forEach((bits, row) => {
        for (let col = 0; col < 3; col++) {
          if (bits & (4 >> col)) fillRect(dst, { x: ox + col * scale, y: y + row * scale, width: scale, height: scale }, color);
        }
      });
    }
    ox += 4 * scale;
  }
}

/** A short label for a number: 3 significant digits, exponent form for very large or small values. */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e4 || abs < 1e-3) return value.toExponential(1).replace('e+', 'e');
  if (abs >= 100) return value.toFixed(0);
  return value.toPrecision(3);
}
