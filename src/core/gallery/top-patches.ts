import { InvalidInputError } from '../errors';
import type { CropRect, RgbaImage } from '../preprocess';
import { blankImage, tileGrid } from '../render/image';
import { drawText, formatNumber, paste, resampleImage, textWidth } from './draw';
import type { ExtractRunOptions, FeatureExtractor } from './features';
import type { GalleryEntry, SkippedImage } from './gallery';
import { checkTarget } from '../target';
import { type ReceptiveField, receptiveField, unitField, unitRegion } from './receptive-field';

export interface TopPatchOptions extends ExtractRunOptions {
  layer: string;
  channel: number;
  /** Patches to return (default 9). */
  k?: number;
  /**
   * Largest overlap (intersection over union) allowed between two patches of the same image (default 0.5):
   * neighbouring units see nearly the same pixels, and nine crops of one eye teach less than nine eyes.
   */
  maxOverlap?: number;
  /** Side of each returned tile in pixels (default 96); 0 skips cropping. */
  tileSize?: number;
}

export interface Patch {
  entry: GalleryEntry;
  /** The unit in the layer's map. */
  unit: { y: number; x: number };
  activation: number;
  /** The unit's receptive field in network-input pixels (224×224), clipped to the input. */
  inputRegion: CropRect;
  /** The same region in the original image's pixels (the input is the whole image, stretched). */
  region: CropRect;
  /**
   * The unit's whole receptive field as a tileSize² picture: the image region resized into place, grey where the
   * field reaches beyond the image (absent when tileSize is 0).
   */
  tile?: RgbaImage;
}

export interface TopPatchResult {
  layer: string;
  channel: number;
  field: ReceptiveField;
  patches: Patch[];
  skipped: SkippedImage[];
  /** Images scanned (readable ones). */
  scanned: number;
}

function iou(a: CropRect, b: CropRect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

interface Candidate {
  order: number;
  entry: GalleryEntry;
  y: number;
  x: number;
  activation: number;
  inputRegion: CropRect;
}

/**
 * The best units of one image: positions sorted by activation, greedily kept unless they overlap a kept one too
 * much. The global top-k is then the best of these lists, since overlap is only judged within an image.
 */
function imageCandidates(
  order: number,
  entry: GalleryEntry,
  data: Float32Array,
  shape: readonly number[],
  channel: number,
  field: ReceptiveField,
  k: number,
  maxOverlap: number,
): Candidate[] {
  const [h, w, c] = shape as [number, number, number];
  const positions = Array.from({ length: h * w }, (_, p) => p);
  // ReLU6 saturates, so ties are common: prefer the unit whose field lies most inside the image, then the first.
  const inside = Float64Array.from(positions, (p) => {
    const r = unitRegion(field, Math.floor(p / w), p % w);
    return r.width * r.height;
  });
  positions.sort((a, b) => data[b * c + channel]! - data[a * c + channel]! || inside[b]! - inside[a]! || a - b);
  const kept: Candidate[] = [];
  for (const p of positions) {
    if (kept.length >= k) break;
    const y = Math.floor(p / w);
    const x = p % w;
    const inputRegion = unitRegion(field, y, x);
    if (kept.some((q) => iou(q.inputRegion, inputRegion) > maxOverlap)) continue;
    kept.push({ order, entry, y, x, activation: data[p * c + channel]!, inputRegion });
  }
  return kept;
}

/** Maps a rectangle in network-input pixels to the original image (stretch fit: independent x and y scales). */
export function inputToImageRect(rect: CropRect, inputSize: readonly [number, number], width: number, height: number): CropRect {
  const sx = width / inputSize[1];
  const sy = height / inputSize[0];
  const x0 = Math.max(0, Math.floor(rect.x * sx));
  const y0 = Math.max(0, Math.floor(rect.y * sy));
  const x1 = Math.min(width, Math.ceil((rect.x + rect.width) * sx));
  const y1 = Math.min(height, Math.ceil((rect.y + rect.height) * sy));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * Maximally activating patches: scans the gallery for the k units of `layer`, channel `channel`, that respond
 * most, and crops each unit's receptive field from its original image. Activations come through the extractor's
 * cache, so exploring other channels of the same layer runs no network.
 */
export async function topPatches(extractor: FeatureExtractor, entries: readonly GalleryEntry[], options: TopPatchOptions): Promise<TopPatchResult> {
  const { layer, channel, k = 9, maxOverlap = 0.5, tileSize = 96, ...run } = options;
  const net = extractor.net;
  const info = net.layer(layer);
  if (info.outputShape.length !== 3) {
    throw new InvalidInputError(`layer '${layer}' has no spatial map (output shape [${info.outputShape.join(', ')}]); choose a convolution layer`);
  }
  checkTarget(net, { kind: 'channel', layer, channel });
  if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`k must be a positive integer, got ${k}`);
  if (!(maxOverlap >= 0 && maxOverlap <= 1)) throw new InvalidInputError(`maxOverlap must be in 0..1, got ${maxOverlap}`);
  const field = receptiveField(net, layer);
  const skipped: SkippedImage[] = [];
  const onSkip = (s: SkippedImage): void => {
    skipped.push(s);
    run.onSkip?.(s);
  };
  let best: Candidate[] = [];
  let scanned = 0;
  for await (const item of extractor.activations(entries, [layer], { ...run, onSkip })) {
    const act = item.values[layer]!;
    best.push(...imageCandidates(scanned++, item.entry, act.data, act.shape, channel, field, k, maxOverlap));
    // Keep only the running top k: memory stays bounded however large the gallery.
    best.sort((a, b) => b.activation - a.activation || a.order - b.order);
    best = best.slice(0, k);
  }
  const patches: Patch[] = [];
  const images = new Map<string, RgbaImage>();
  for (const cand of best) {
    let image = images.get(cand.entry.id);
    if (!image) {
      image = await cand.entry.decode();
      images.set(cand.entry.id, image);
    }
    const region = inputToImageRect(cand.inputRegion, field.inputSize, image.width, image.height);
    const patch: Patch = { entry: cand.entry, unit: { y: cand.y, x: cand.x }, activation: cand.activation, inputRegion: cand.inputRegion, region };
    if (tileSize > 0) patch.tile = fieldTile(image, field, cand, tileSize);
    patches.push(patch);
  }
  return { layer, channel, field, patches, skipped, scanned };
}

/** Model input value 0 (pixel 127.5): what the zero padding beyond the border looks like to the network. */
const PADDING_GREY = [128, 128, 128, 255] as const;

/**
 * A square tile of the unit's whole receptive field as the network saw it: the image part resized into place,
 * the part beyond the border (zero padding) left grey, so border patches are not stretched.
 */
function fieldTile(image: RgbaImage, field: ReceptiveField, cand: Candidate, tileSize: number): RgbaImage {
  const full = unitField(field, cand.y, cand.x);
  const inside = cand.inputRegion;
  const tile = blankImage(tileSize, tileSize, PADDING_GREY);
  const sx = tileSize / full.width;
  const sy = tileSize / full.height;
  const x0 = Math.round((inside.x - full.x) * sx);
  const y0 = Math.round((inside.y - full.y) * sy);
  const w = Math.max(1, Math.round((inside.x + inside.width - full.x) * sx) - x0);
  const h = Math.max(1, Math.round((inside.y + inside.height - full.y) * sy) - y0);
  // The inside region in the original image's pixels, unrounded: the same mapping the network input used.
  const kx = image.width / field.inputSize[1];
  const ky = image.height / field.inputSize[0];
  const source = { x: inside.x * kx, y: inside.y * ky, width: inside.width * kx, height: inside.height * ky };
  paste(tile, resampleImage(image, w, h, source), x0, y0);
  return tile;
}

/** The patches' tiles in a grid, best first, row by row, each with its activation printed below. */
export function patchGrid(patches: readonly Patch[], columns?: number): RgbaImage {
  const tiles = patches
    .filter((p): p is Patch & { tile: RgbaImage } => p.tile !== undefined)
    .map((p) => {
      const label = 16;
      const cell = blankImage(p.tile.width, p.tile.height + label, [32, 32, 32, 255]);
      paste(cell, p.tile, 0, 0);
      const text = formatNumber(p.activation);
      drawText(cell, text, (cell.width - textWidth(text)) / 2, p.tile.height + 3, [230, 230, 230, 255]);
      return cell;
    });
  return tileGrid(tiles, { columns: columns ?? Math.ceil(Math.sqrt(tiles.length)), gap: 2 });
}
