import { type Rgba, drawText, fillRect, formatNumber, paste, resampleImage, strokeRect, textWidth } from '../gallery/draw';
import { PALETTE } from '../gallery/render';
import type { RgbaImage } from '../preprocess';
import { blankImage } from '../render/image';

/** One row of facetPanel: the facet's start (its members' mean), its image, their class probabilities and members. */
export interface FacetPanelRow {
  init: RgbaImage;
  image: RgbaImage;
  /** Class probability (0–1) of the start and of the image; printed as percentages under them. */
  initProbability: number;
  probability: number;
  members: RgbaImage[];
}

/**
 * The multifaceted visualisation as one picture (the CLI's `facets --out`): a row per facet, a colour strip, the
 * start framed in grey, the facet image framed in the row's colour (each with its class probability in % below),
 * then the members' thumbnails, `perLine` to a line. Sizes in pixels: `tile` for start and image, `thumb` for members.
 */
export function facetPanel(rows: readonly FacetPanelRow[], { tile = 160, thumb = 76, perLine = 6 } = {}): RgbaImage {
  const gap = 6;
  const strip = 8;
  const label = 16;
  const memberLines = (n: number): number => Math.max(1, Math.ceil(n / perLine));
  const rowHeight = (r: FacetPanelRow): number => Math.max(tile + label, memberLines(r.members.length) * (thumb + gap) - gap) + gap;
  const width = strip + gap + 2 * (tile + gap) + gap + perLine * (thumb + gap);
  const height = gap + rows.reduce((h, r) => h + rowHeight(r), 0);
  const out = blankImage(width, height, [255, 255, 255, 255]);
  const dark: Rgba = [40, 40, 40, 255];
  let y = gap;
  rows.forEach((row, r) => {
    const color = PALETTE[r % PALETTE.length]!;
    fillRect(out, { x: 0, y, width: strip, height: tile }, color);
    let x = strip + gap;
    for (const [picture, p, frame] of [[row.init, row.initProbability, [150, 150, 150, 255]], [row.image, row.probability, color]] as const) {
      paste(out, resampleImage(picture, tile, tile), x, y);
      strokeRect(out, { x, y, width: tile, height: tile }, frame, 3);
      const text = formatNumber(p * 100);
      drawText(out, text, x + (tile - textWidth(text)) / 2, y + tile + 3, dark);
      x += tile + gap;
    }
    x += gap;
    row.members.forEach((m, i) => {
      const mx = x + (i % perLine) * (thumb + gap);
      const my = y + Math.floor(i / perLine) * (thumb + gap);
      paste(out, resampleImage(m, thumb, thumb), mx, my);
      strokeRect(out, { x: mx, y: my, width: thumb, height: thumb }, color, 2);
    });
    y += rowHeight(row);
  });
  return out;
}
