import { InvalidInputError } from './errors';
import type { CropRect } from './preprocess';

/**
 * The lecture's bias lesson, measured ("saliency maps uncover biases"; Ribeiro et al. 2016's husky/wolf snow
 * example): how much of an explanation's mass lies on the object rather than around it. In Teach mode the visitor
 * holds the object up in the middle of the frame, so the object region defaults to the centred box covering
 * `area` of the picture; a map whose share of mass inside it is below what a flat map would give (the box's share
 * of the area) looks mostly at the background, and the app says so.
 */

/** Share of a non-negative map's mass inside `box` (map pixels), 0–1; 0 for an all-zero map. */
export function massInside(map: ArrayLike<number>, width: number, height: number, box: CropRect): number {
  if (map.length !== width * height) throw new InvalidInputError(`a ${width}×${height} map needs ${width * height} values, got ${map.length}`);
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  let inside = 0;
  let total = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = map[y * width + x]!;
      if (!(v >= 0)) throw new InvalidInputError(`the map has a negative or missing value at (${x}, ${y})`);
      total += v;
      if (x >= x0 && x < x1 && y >= y0 && y < y1) inside += v;
    }
  }
  return total > 0 ? inside / total : 0;
}

/** The centred box covering `area` (0–1) of a width × height picture, same aspect ratio. */
export function centreBox(width: number, height: number, area: number): CropRect {
  if (!(area > 0 && area <= 1)) throw new InvalidInputError(`area must be in (0, 1], got ${area}`);
  const side = Math.sqrt(area);
  const w = Math.round(width * side);
  const h = Math.round(height * side);
  return { x: Math.round((width - w) / 2), y: Math.round((height - h) / 2), width: w, height: h };
}

/** What backgroundCheck finds: the map's share inside the object box, a flat map's share, and the verdict. */
export interface BackgroundCheck {
  /** Share of the map's mass inside the object box, 0–1. */
  objectShare: number;
  /** The share a flat map would have (the box's share of the picture's pixels), 0–1. */
  flatShare: number;
  /** objectShare < flatShare: the explanation is more on the background than a flat map would be. */
  looksAtBackground: boolean;
  /** The box used, map pixels. */
  box: CropRect;
}

/**
 * Whether an explanation (a non-negative map, width × height, e.g. AttributionMap.data) lies mostly outside the
 * object: the object is `box`, default the centred box covering half the picture (where a visitor holds it up).
 */
export function backgroundCheck(map: ArrayLike<number>, width: number, height: number, box: CropRect = centreBox(width, height, 0.5)): BackgroundCheck {
  const objectShare = massInside(map, width, height, box);
  const cells = Math.max(0, Math.min(width, box.x + box.width) - Math.max(0, box.x)) * Math.max(0, Math.min(height, box.y + box.height) - Math.max(0, box.y));
  const flatShare = cells / (width * height);
  return { objectShare, flatShare, looksAtBackground: objectShare < flatShare, box };
}

/** How close to a flat map's share (0–1) an object share counts as preferring neither object nor background. */
export const EVEN_MARGIN = 0.05;

/**
 * The plain verdict on a BackgroundCheck: 'even' within EVEN_MARGIN of a flat map's share (a 51 % vs 50 % split
 * claims no side), else 'background' when the share on the object is below a flat map's, else 'object'. Teach
 * mode's bias notice and the "what does it really look at?" demo both say this.
 */
export function biasVerdict(check: Pick<BackgroundCheck, 'objectShare' | 'flatShare'>, margin = EVEN_MARGIN): 'object' | 'background' | 'even' {
  if (Math.abs(check.objectShare - check.flatShare) < margin) return 'even';
  return check.objectShare < check.flatShare ? 'background' : 'object';
}

/**
 * The verdict of an explanation fitted by a surrogate model (LIME): biasVerdict when the surrogate's held-out R²
 * reaches `minR2` (LIME_DEFAULTS.minR2ForVerdict, 0.3), else 'unsure' — a linear model that does not predict the
 * network (R² below it, or not finite) says little about where the network looks, and its top superpixels can flip
 * the verdict from one sampling to the next.
 */
export function surrogateBiasVerdict(
  check: Pick<BackgroundCheck, 'objectShare' | 'flatShare'>,
  r2: number,
  minR2: number,
  margin = EVEN_MARGIN,
): 'object' | 'background' | 'even' | 'unsure' {
  return Number.isFinite(r2) && r2 >= minR2 ? biasVerdict(check, margin) : 'unsure';
}
