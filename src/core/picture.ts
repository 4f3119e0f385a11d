import { imageSize } from 'image-size';
import type { CropRect } from './preprocess';

/**
 * The rules every picture ConvLens decodes follows, whoever decodes it (the CLI with sharp in Node, the worker and
 * the gallery with createImageBitmap in a browser), DOM-free:
 *
 * - **Orientation.** The EXIF Orientation tag (2–8) is applied, as every viewer does: the model sees the picture
 *   upright, and crops and sizes are those of the displayed picture.
 * - **Transparency.** A picture with alpha is composited over PICTURE_BACKGROUND before anything else, so the
 *   colours hidden under transparent pixels never reach the model and overlays are drawn on what the model saw.
 * - **Size.** At most MAX_PICTURE_PIXELS, read from the file's header before any pixel is allocated; larger files
 *   are refused with one line naming both. Accepted pictures larger than WORKING_MAX_SIDE on their long side are
 *   reduced to it right after decoding (the model sees 224×224 anyway).
 */

/**
 * The background transparent pixels are composited over: white, 8-bit sRGB. White because cut-outs (product shots,
 * logos, stickers) are made to sit on white pages, because ImageNet photographs isolated objects on white far more
 * often than on any other flat colour, and because image editors and ImageMagick flatten over white by default;
 * a fully transparent picture therefore reads as the blank page it shows.
 */
export const PICTURE_BACKGROUND = { r: 255, g: 255, b: 255 } as const;

/** PICTURE_BACKGROUND as a CSS colour (canvas fillStyle, stage background). */
export const PICTURE_BACKGROUND_CSS = '#ffffff';

/**
 * Largest picture accepted, in pixels: 64 MP. Every 48 and 50 MP phone photo fits (8160×6144 is 50.1 MP); a
 * 10000×10000 picture (100 MP) does not. Checked from the header, before decoding.
 */
export const MAX_PICTURE_PIXELS = 64_000_000;

/** Accepted pictures are reduced right after decoding so that their long side is at most this many pixels. */
export const WORKING_MAX_SIDE = 2048;

/** A picture's size and format as its header states them (before orientation is applied). */
export interface PictureHeader {
  width: number;
  height: number;
  /** image-size's name of the format: 'png', 'jpg', 'gif', 'webp', … */
  type: string;
  /** EXIF Orientation 1–8 where the header reader found one (JPEG). */
  orientation?: number;
}

/**
 * Reads width and height from a PNG, JPEG, GIF or WebP header (image-size; nothing is decoded, nothing allocated
 * beyond the header walk). Undefined when the header cannot be read: the decoder then reports the damage.
 */
export function pictureHeader(bytes: Uint8Array): PictureHeader | undefined {
  try {
    const size = imageSize(bytes);
    if (!(size.width > 0 && size.height > 0)) return undefined;
    return { width: size.width, height: size.height, type: size.type ?? 'unknown', ...(size.orientation ? { orientation: size.orientation } : {}) };
  } catch {
    return undefined;
  }
}

/** "48.0 MP" (one decimal, 10⁶ pixels). */
export function formatMegapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(1)} MP`;
}

/** The one size rule: a one-line reason when width × height exceeds MAX_PICTURE_PIXELS, else undefined. */
export function pixelLimitProblem(width: number, height: number, limit = MAX_PICTURE_PIXELS): string | undefined {
  if (width * height <= limit) return undefined;
  return `too large: ${width}×${height} pixels (${formatMegapixels(width * height)}; the limit is ${formatMegapixels(limit)})`;
}

/** The size rule applied to a file's bytes, from its header only. */
export function pictureSizeProblem(bytes: Uint8Array, limit = MAX_PICTURE_PIXELS): string | undefined {
  const header = pictureHeader(bytes);
  return header ? pixelLimitProblem(header.width, header.height, limit) : undefined;
}

/** True when EXIF orientation `o` turns the picture by 90° (5–8), i.e. the displayed width is the stored height. */
export function swapsSides(orientation: number | undefined): boolean {
  return orientation !== undefined && orientation >= 5 && orientation <= 8;
}

/** The size after the early reduction: the long side at most `maxSide`, the aspect ratio kept, never enlarged. */
export function workingSize(width: number, height: number, maxSide = WORKING_MAX_SIDE): { width: number; height: number } {
  const long = Math.max(width, height);
  if (long <= maxSide) return { width, height };
  const s = maxSide / long;
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/** `rect` in a picture of size `from` mapped to the same region of the picture at size `to` (rounded to pixels). */
export function scaleRect(rect: CropRect, from: { width: number; height: number }, to: { width: number; height: number }): CropRect {
  if (from.width === to.width && from.height === to.height) return { ...rect };
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  const x = Math.round(rect.x * sx);
  const y = Math.round(rect.y * sy);
  return { x, y, width: Math.min(to.width - x, Math.max(1, Math.round(rect.width * sx))), height: Math.min(to.height - y, Math.max(1, Math.round(rect.height * sy))) };
}
