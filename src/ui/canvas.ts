import type { RgbaImage } from '../core/preprocess';

/** Paints RGBA pixels into a canvas at their own size (the canvas is resized to fit). */
export function paint(canvas: HTMLCanvasElement, image: RgbaImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d')!;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
}
