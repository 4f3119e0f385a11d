import { PICTURE_BACKGROUND_CSS, WORKING_MAX_SIDE, workingSize } from '../src/core/picture';
import type { RgbaImage } from '../src/core/preprocess';

/**
 * How the browser side decodes pictures, with the rules of src/core/picture.ts (the CLI's sharp decoder follows the
 * same ones): used by the inference worker for the bundled and stored gallery and for every frame it receives.
 *
 * Orientation: createImageBitmap applies the EXIF Orientation tag with `imageOrientation: 'from-image'`, the
 * default of current browsers; it is spelled out here so that it cannot differ between browsers or versions.
 * An <img> element, from which the page cuts camera-less frames, applies it too (CSS image-orientation: from-image).
 *
 * Transparency: an ImageBitmap keeps its alpha, and what reads it decides what the hidden colours become.
 * tf.browser.fromPixels drops the alpha channel: on the CPU backend it draws the bitmap into a 2D canvas and reads
 * getImageData, so fully transparent pixels come back as black (the canvas stores premultiplied colour, which is 0
 * under alpha 0) and half-transparent ones un-premultiplied at full strength; WebGL and WebGPU upload the bitmap
 * as it is. None of those is a composite. So every bitmap is drawn over PICTURE_BACKGROUND on an opaque canvas
 * first (source-over: the canvas composites premultiplied and straight-alpha bitmaps alike, correctly), and only
 * that opaque result reaches the model.
 */

/** The options every ConvLens createImageBitmap of picture bytes uses. */
export const DECODE_OPTIONS: ImageBitmapOptions = { imageOrientation: 'from-image', premultiplyAlpha: 'default', colorSpaceConversion: 'default' };

function opaqueCanvas(width: number, height: number, willReadFrequently: boolean): { canvas: OffscreenCanvas; ctx: OffscreenCanvasRenderingContext2D } {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently })!;
  ctx.fillStyle = PICTURE_BACKGROUND_CSS;
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = 'high';
  return { canvas, ctx };
}

/**
 * An ImageBitmap as RGBA, composited over PICTURE_BACKGROUND (alpha 255 everywhere) and reduced so that its long
 * side is at most `maxSide` (default: not reduced).
 */
export function bitmapToRgba(bitmap: ImageBitmap, maxSide = Number.POSITIVE_INFINITY): RgbaImage {
  const { width, height } = workingSize(bitmap.width, bitmap.height, maxSide);
  const { ctx } = opaqueCanvas(width, height, true);
  ctx.drawImage(bitmap, 0, 0, width, height);
  const { data } = ctx.getImageData(0, 0, width, height);
  return { width, height, data };
}

/**
 * Encoded picture bytes (PNG, JPEG, WebP, GIF) → RGBA: orientation from the file, composited over
 * PICTURE_BACKGROUND, at most WORKING_MAX_SIDE on the long side. Rejects when the browser cannot decode them.
 */
export async function decodePictureBytes(bytes: Uint8Array, type = ''): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), DECODE_OPTIONS);
  try {
    return bitmapToRgba(bitmap, WORKING_MAX_SIDE);
  } finally {
    bitmap.close();
  }
}

let frameCanvas: { canvas: OffscreenCanvas; ctx: OffscreenCanvasRenderingContext2D } | undefined;

/**
 * A frame as the model may see it: `bitmap` drawn over PICTURE_BACKGROUND, returned as a new opaque ImageBitmap of
 * the same size (the caller closes both). One canvas is reused from frame to frame; transferToImageBitmap hands
 * its pixels over without a copy back to the CPU, so GPU backends still upload straight from the bitmap.
 */
export function compositeFrame(bitmap: ImageBitmap): ImageBitmap {
  if (!frameCanvas || frameCanvas.canvas.width !== bitmap.width || frameCanvas.canvas.height !== bitmap.height) {
    frameCanvas = opaqueCanvas(bitmap.width, bitmap.height, false);
  }
  const { canvas, ctx } = frameCanvas;
  ctx.fillStyle = PICTURE_BACKGROUND_CSS;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(bitmap, 0, 0);
  return canvas.transferToImageBitmap();
}
