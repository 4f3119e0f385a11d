import type { RgbaImage } from '../core/preprocess';

/** Paints RGBA pixels into a canvas at their own size (the canvas is resized to fit). */
export function paint(canvas: HTMLCanvasElement, image: RgbaImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d')!;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
}

/** Share of pixels of a canvas that are not fully transparent (tests and the HUD read it). */
export function paintedShare(canvas: HTMLCanvasElement): number {
  if (canvas.width === 0 || canvas.height === 0) return 0;
  const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
  return painted / (canvas.width * canvas.height);
}
