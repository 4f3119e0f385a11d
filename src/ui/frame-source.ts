import { PICTURE_BACKGROUND_CSS } from '../core/picture';
import type { SourceEnv } from './controllers/source-controller';

/**
 * Where frames come from: the camera (getUserMedia), a still picture (bundled, picked or dropped) or a video
 * file. Each frame is cut to the centred square the model sees and scaled to 224×224 by createImageBitmap, so
 * the worker receives exactly the model input and the page knows the crop (in source pixels) for the overlays.
 */
export interface Crop {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where frames come from. */
export type SourceKind = 'camera' | 'image' | 'video';

/** The largest centred square of a width×height picture (what the model sees). */
export function centreSquare(width: number, height: number): Crop {
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side };
}

/** The centred square of a video or image as an ImageBitmap of size×size, with the crop and the picture's size; undefined before the media has a picture. */
export async function grabFrame(source: HTMLVideoElement | HTMLImageElement, size = 224): Promise<{ bitmap: ImageBitmap; crop: Crop; width: number; height: number } | undefined> {
  const width = source instanceof HTMLVideoElement ? source.videoWidth : source.naturalWidth;
  const height = source instanceof HTMLVideoElement ? source.videoHeight : source.naturalHeight;
  if (!width || !height) return undefined;
  const crop = centreSquare(width, height);
  const bitmap = await createImageBitmap(source, crop.x, crop.y, crop.width, crop.height, { resizeWidth: size, resizeHeight: size, resizeQuality: 'medium' });
  return { bitmap, crop, width, height };
}

/** A readable sentence for getUserMedia failures. */
export function cameraErrorMessage(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'Camera permission was denied.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No camera was found.';
  if (name === 'NotReadableError') return 'The camera is in use by another program.';
  if (typeof navigator !== 'undefined' && !navigator.mediaDevices) return 'This browser gives no camera access here.';
  return `The camera could not start (${err instanceof Error ? err.message : String(err)}).`;
}

let opaqueUrl: string | undefined;

/**
 * Shows a still picture as the model sees it: when the loaded <img> has transparent pixels, its source is replaced
 * by the picture composited over PICTURE_BACKGROUND (src/core/picture.ts; the worker composites every frame the
 * same way), so overlays are drawn on the picture the model saw and not on the stage's own background. Opaque
 * pictures (every JPEG, most PNGs) are left as they are. The previous composite's object URL is revoked.
 */
export async function showOpaque(img: HTMLImageElement): Promise<void> {
  const width = img.naturalWidth;
  const height = img.naturalHeight;
  if (!width || !height) return;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(img, 0, 0);
  const { data } = ctx.getImageData(0, 0, width, height);
  let transparent = false;
  for (let i = 3; i < data.length && !transparent; i += 4) transparent = data[i]! < 255;
  if (!transparent) return;
  ctx.globalCompositeOperation = 'destination-over';
  ctx.fillStyle = PICTURE_BACKGROUND_CSS;
  ctx.fillRect(0, 0, width, height);
  const url = URL.createObjectURL(await canvas.convertToBlob({ type: 'image/png' }));
  if (opaqueUrl) URL.revokeObjectURL(opaqueUrl);
  opaqueUrl = url;
  img.src = url;
  await img.decode();
}

/** The browser's side of the source controller: the camera API, the picture elements, bitmaps. */
export function browserSourceEnv(): SourceEnv {
  return {
    mediaDevices: () => navigator.mediaDevices,
    createVideo: () => {
      const video = document.createElement('video');
      video.muted = true;
      video.playsInline = true;
      video.setAttribute('aria-label', 'Live camera picture');
      return video;
    },
    createImage: () => {
      const image = document.createElement('img');
      image.alt = 'The picture being analysed';
      return image;
    },
    objectUrl: (file) => URL.createObjectURL(file),
    grab: grabFrame,
    snapshot: (media) => createImageBitmap(media),
    opaque: showOpaque,
    cut: (picture, crop) => createImageBitmap(picture, crop.x, crop.y, crop.width, crop.height, { resizeWidth: 224, resizeHeight: 224, resizeQuality: 'medium' }),
  };
}
