import { readFileSync, writeFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InvalidInputError } from '../core/errors';
import type { RgbaImage } from '../core/preprocess';

/** Largest image accepted, in pixels (keeps a hostile or mistaken 50k×50k file from exhausting memory). */
export const MAX_IMAGE_PIXELS = 40_000_000;

/** Decodes PNG or JPEG bytes (sniffed from the signature, not the file name). */
export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  const isPng = bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) throw new InvalidInputError(`${name} is not a PNG or JPEG image`);
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes));
      return { width: png.width, height: png.height, data: png.data };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
    if (!(img.width > 0 && img.height > 0)) throw new Error('empty image');
    return { width: img.width, height: img.height, data: img.data };
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(`cannot decode ${name}: truncated or corrupt ${isPng ? 'PNG' : 'JPEG'} (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Reads and decodes an image file, with one-line messages for missing, unreadable or broken files. */
export function readImage(path: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InvalidInputError(`no such file: ${path}`);
    if (code === 'EISDIR') throw new InvalidInputError(`${path} is a directory, not an image`);
    throw new InvalidInputError(`cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  return decodeImage(bytes, path);
}

export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return PNG.sync.write(png);
}

export function writePng(path: string, image: RgbaImage): void {
  try {
    writeFileSync(path, encodePng(image));
  } catch (err) {
    throw new InvalidInputError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
