import type { RgbaImage } from '../preprocess';
import { blankImage } from '../render/image';
import { type Rgba, drawText, fillRect, formatNumber, paste, resampleImage, strokeRect, textWidth, thumbnail } from './draw';

/** Distinct frame colours (Tableau 10), so a thumbnail can be told from its neighbours where they overlap. */
export const PALETTE: readonly Rgba[] = [
  [78, 121, 167, 255],
  [242, 142, 43, 255],
  [225, 87, 89, 255],
  [118, 183, 178, 255],
  [89, 161, 79, 255],
  [237, 201, 72, 255],
  [176, 122, 161, 255],
  [255, 157, 167, 255],
  [156, 117, 95, 255],
  [186, 176, 172, 255],
];

/** Options of scatterPlot: canvas size, thumbnail size and background. */
export interface ScatterOptions {
  /** Side of the square plot in pixels (default 1024). */
  size?: number;
  /** Largest side of a thumbnail (default: from 128 px for a few images down to 40 px for a thousand). */
  thumb?: number;
  /** Canvas colour (default [250, 250, 250, 255], near-white). */
  background?: Rgba;
}

/**
 * A 2-D map with a thumbnail of each image centred on its point. Both axes share one scale (distances on the
 * map mean the same in x and y) and y points up, as in a plot.
 */
export function scatterPlot(points: readonly (readonly [number, number])[], images: readonly RgbaImage[], options: ScatterOptions = {}): RgbaImage {
  const { size = 1024, background = [250, 250, 250, 255] } = options;
  const thumb = options.thumb ?? Math.round(Math.min(128, Math.max(40, size / Math.sqrt(Math.max(1, points.length)) / 1.5)));
  const out = blankImage(size, size, background);
  if (points.length === 0) return out;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const margin = thumb / 2 + 8;
  const span = Math.max(maxX - minX, maxY - minY);
  const scale = span > 0 ? (size - 2 * margin) / span : 0;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const toPixel = ([x, y]: readonly [number, number]): [number, number] => [size / 2 + (x - cx) * scale, size / 2 - (y - cy) * scale];
  // Axis cross through the data's centre: a reference for the eye, nothing more.
  fillRect(out, { x: 0, y: size / 2, width: size, height: 1 }, [220, 220, 220, 255]);
  fillRect(out, { x: size / 2, y: 0, width: 1, height: size }, [220, 220, 220, 255]);
  points.forEach((p, i) => {
    const image = images[i];
    const [px, py] = toPixel(p);
    const color = PALETTE[i % PALETTE.length]!;
    if (!image) {
      fillRect(out, { x: px - 3, y: py - 3, width: 6, height: 6 }, color);
      return;
    }
    const t = thumbnail(image, thumb - 6);
    const frame = { x: Math.round(px - t.width / 2) - 3, y: Math.round(py - t.height / 2) - 3, width: t.width + 6, height: t.height + 6 };
    fillRect(out, frame, color);
    paste(out, t, frame.x + 3, frame.y + 3);
  });
  return out;
}

/** One row of neighbourPanel: a view's label colour and its neighbours, nearest first. */
export interface PanelRow {
  /** Frame colour of the row's label strip (one per view: feature L2, feature cosine, pixel L2, …). */
  color: Rgba;
  /** The neighbour pictures with the distance printed under each (formatNumber). */
  neighbours: { image: RgbaImage; distance: number }[];
}

/**
 * Neighbour views side by side: one row per view, the query first (framed in black), then its neighbours
 * nearest first, each with its distance printed below.
 */
export function neighbourPanel(query: RgbaImage, rows: readonly PanelRow[], tile = 96): RgbaImage {
  const gap = 6;
  const strip = 8;
  const label = 16;
  const columns = 1 + Math.max(0, ...rows.map((r) => r.neighbours.length));
  const width = strip + gap + columns * (tile + gap) + gap;
  const rowHeight = tile + label + gap;
  const out = blankImage(width, gap + rows.length * rowHeight, [255, 255, 255, 255]);
  const q = resampleImage(query, tile, tile);
  rows.forEach((row, r) => {
    const y = gap + r * rowHeight;
    fillRect(out, { x: 0, y, width: strip, height: tile }, row.color);
    let x = strip + gap;
    paste(out, q, x, y);
    strokeRect(out, { x, y, width: tile, height: tile }, [0, 0, 0, 255], 3);
    x += tile + gap;
    for (const n of row.neighbours) {
      paste(out, resampleImage(n.image, tile, tile), x, y);
      strokeRect(out, { x, y, width: tile, height: tile }, row.color, 2);
      const text = formatNumber(n.distance);
      drawText(out, text, x + (tile - textWidth(text)) / 2, y + tile + 3, [40, 40, 40, 255]);
      x += tile + gap;
    }
  });
  return out;
}
