import type { RgbaImage } from '../preprocess';
import { type ColormapName, colormapLut, lutIndex } from './colormap';

/** A single-channel float map, row-major. */
export interface ScalarMap {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * A width × height RGBA image filled with `rgba` (each 0–255; default opaque black). No checks: pass whole sizes ≥ 0.
 */
export function blankImage(width: number, height: number, rgba: readonly [number, number, number, number] = [0, 0, 0, 255]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set(rgba, i);
  return { width, height, data };
}

/**
 * Scales a map to [0, 1]: 0 stays 0 for non-negative maps and the top is the given percentile of the values
 * (saliency maps have a few extreme pixels; clipping at the 99th percentile keeps the rest visible).
 */
export function normaliseMap(values: ArrayLike<number>, { percentile = 100 }: { percentile?: number } = {}): Float32Array {
  const n = values.length;
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, values[i]!);
  const lo = min >= 0 ? 0 : min;
  let hi: number;
  if (percentile >= 100) {
    hi = -Infinity;
    for (let i = 0; i < n; i++) hi = Math.max(hi, values[i]!);
  } else {
    const sorted = Float32Array.from(values).sort();
    hi = sorted[Math.min(n - 1, Math.floor((percentile / 100) * (n - 1)))]!;
  }
  const out = new Float32Array(n);
  const range = hi - lo;
  if (!(range > 0)) return out;
  for (let i = 0; i < n; i++) out[i] = Math.min(1, Math.max(0, (values[i]! - lo) / range));
  return out;
}

/**
 * A [0, 1] map painted with a palette. With `alpha`, opacity grows with the value (alpha·√v), so the result can
 * be laid over a live picture the way `overlay` blends it.
 */
export function colorize(map: ScalarMap, colormap: ColormapName = 'inferno', alpha?: number): RgbaImage {
  const lut = colormapLut(colormap);
  const data = new Uint8ClampedArray(map.width * map.height * 4);
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i]!;
    const k = lutIndex(v) * 3;
    data[i * 4] = lut[k]!;
    data[i * 4 + 1] = lut[k + 1]!;
    data[i * 4 + 2] = lut[k + 2]!;
    data[i * 4 + 3] = alpha === undefined ? 255 : 255 * alpha * Math.sqrt(Math.min(1, Math.max(0, v)));
  }
  return { width: map.width, height: map.height, data };
}

/** Bilinear sample of a map at continuous coordinates (pixel centres at integer + 0.5). */
function sample(map: ScalarMap, x: number, y: number): number {
  const fx = Math.min(map.width - 1, Math.max(0, x - 0.5));
  const fy = Math.min(map.height - 1, Math.max(0, y - 0.5));
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(map.width - 1, x0 + 1);
  const y1 = Math.min(map.height - 1, y0 + 1);
  const ax = fx - x0;
  const ay = fy - y0;
  const row0 = y0 * map.width;
  const row1 = y1 * map.width;
  const top = map.data[row0 + x0]! * (1 - ax) + map.data[row0 + x1]! * ax;
  const bottom = map.data[row1 + x0]! * (1 - ax) + map.data[row1 + x1]! * ax;
  return top * (1 - ay) + bottom * ay;
}

/** Resizes a map bilinearly (used to bring 224×224 maps back to the crop's size in the original image). */
export function resizeMap(map: ScalarMap, width: number, height: number): ScalarMap {
  const data = new Float32Array(width * height);
  const sx = map.width / width;
  const sy = map.height / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = sample(map, (x + 0.5) * sx, (y + 0.5) * sy);
  }
  return { width, height, data };
}

/** Options of overlay: palette, opacity and where the map sits on the base image. */
export interface OverlayOptions {
  /** Palette of the heatmap (default 'inferno'). */
  colormap?: ColormapName;
  /**
   * Opacity of the heatmap where the map is 1 (default 0.75, range 0–1); elsewhere alpha·√v, so weak areas stay
   * nearly transparent.
   */
  alpha?: number;
  /** Rectangle of `base` that the map covers (default: all of it). */
  rect?: { x: number; y: number; width: number; height: number };
}

/** Blends a [0, 1] map over an image: colour from the palette, opacity growing with the value. */
export function overlay(base: RgbaImage, map: ScalarMap, { colormap = 'inferno', alpha = 0.75, rect }: OverlayOptions = {}): RgbaImage {
  const r = rect ?? { x: 0, y: 0, width: base.width, height: base.height };
  const lut = colormapLut(colormap);
  const data = new Uint8ClampedArray(base.data);
  const sx = map.width / r.width;
  const sy = map.height / r.height;
  for (let y = Math.max(0, r.y); y < Math.min(base.height, r.y + r.height); y++) {
    for (let x = Math.max(0, r.x); x < Math.min(base.width, r.x + r.width); x++) {
      const v = Math.min(1, Math.max(0, sample(map, (x - r.x + 0.5) * sx, (y - r.y + 0.5) * sy)));
      const a = alpha * Math.sqrt(v);
      const k = lutIndex(v) * 3;
      const i = (y * base.width + x) * 4;
      data[i] = data[i]! * (1 - a) + lut[k]! * a;
      data[i + 1] = data[i + 1]! * (1 - a) + lut[k + 1]! * a;
      data[i + 2] = data[i + 2]! * (1 - a) + lut[k + 2]! * a;
    }
  }
  return { width: base.width, height: base.height, data };
}

/** Nearest-neighbour upscaling by an integer factor (keeps 3×3 kernels and small maps crisp). */
export function upscale(image: RgbaImage, factor: number): RgbaImage {
  const f = Math.max(1, Math.round(factor));
  if (f === 1) return image;
  const width = image.width * f;
  const height = image.height * f;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (Math.floor(y / f) * image.width + Math.floor(x / f)) * 4;
      data.set(image.data.subarray(src, src + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

/** Options of tileGrid: layout and background of the grid. */
export interface GridOptions {
  /** Tiles per row (default ⌈√tiles⌉; clamped to 1..tiles). */
  columns?: number;
  /** Pixels of background around and between tiles (default 1). */
  gap?: number;
  /** Colour of the gaps, RGBA 0–255 (default [32, 32, 32, 255], dark grey). */
  background?: readonly [number, number, number, number];
}

/** Lays equal-sized tiles out in a grid (row-major), separated by `gap` pixels of background. */
export function tileGrid(tiles: readonly RgbaImage[], { columns, gap = 1, background = [32, 32, 32, 255] }: GridOptions = {}): RgbaImage {
  if (tiles.length === 0) return blankImage(1, 1, background);
  const tw = tiles[0]!.width;
  const th = tiles[0]!.height;
  const cols = Math.max(1, Math.min(tiles.length, columns ?? Math.ceil(Math.sqrt(tiles.length))));
  const rows = Math.ceil(tiles.length / cols);
  const width = cols * tw + (cols + 1) * gap;
  const height = rows * th + (rows + 1) * gap;
  const out = blankImage(width, height, background);
  tiles.forEach((tile, t) => {
    const ox = gap + (t % cols) * (tw + gap);
    const oy = gap + Math.floor(t / cols) * (th + gap);
    for (let y = 0; y < Math.min(th, tile.height); y++) {
      const src = tile.data.subarray(y * tile.width * 4, (y * tile.width + Math.min(tw, tile.width)) * 4);
      out.data.set(src, ((oy + y) * width + ox) * 4);
    }
  });
  return out;
}

/** Places images side by side (same height assumed; shorter ones are top-aligned). */
export function sideBySide(images: readonly RgbaImage[], gap = 4): RgbaImage {
  const height = Math.max(...images.map((i) => i.height));
  const width = images.reduce((w, i) => w + i.width, 0) + gap * (images.length - 1);
  const out = blankImage(width, height, [255, 255, 255, 255]);
  let ox = 0;
  for (const img of images) {
    for (let y = 0; y < img.height; y++) {
      out.data.set(img.data.subarray(y * img.width * 4, (y + 1) * img.width * 4), (y * width + ox) * 4);
    }
    ox += img.width + gap;
  }
  return out;
}

/**
 * Contrast stretch for display: maps the 1st–99th percentile of all colour values to 0–255. Generated images
 * (class visualisation) sit close to mid-grey; the stretched copy shows their structure, as the lecture's figures do.
 */
export function stretchContrast(image: RgbaImage, low = 1, high = 99): RgbaImage {
  const values: number[] = [];
  for (let i = 0; i < image.data.length; i += 4) values.push(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!);
  values.sort((a, b) => a - b);
  const lo = values[Math.floor((low / 100) * (values.length - 1))]!;
  const hi = values[Math.floor((high / 100) * (values.length - 1))]!;
  const data = new Uint8ClampedArray(image.data);
  if (hi <= lo) return { width: image.width, height: image.height, data };
  for (let i = 0; i < data.length; i++) if (i % 4 !== 3) data[i] = ((image.data[i]! - lo) * 255) / (hi - lo);
  return { width: image.width, height: image.height, data };
}
