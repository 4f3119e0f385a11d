import { readFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { InvalidInputError } from '../core/errors';
import { MAX_PICTURE_PIXELS, PICTURE_BACKGROUND_CSS, pictureHeader, pixelLimitProblem, swapsSides, workingSize } from '../core/picture';
import type { RgbaImage } from '../core/preprocess';

/** A decoded picture: its pixels (upright, opaque, reduced) and the size of the picture as a viewer displays it. */
export interface DecodedPicture {
  /** RGBA, alpha 255 everywhere; at most WORKING_MAX_SIDE on the long side. */
  image: RgbaImage;
  /** Width and height of the displayed picture (orientation applied, before the reduction), in pixels. */
  width: number;
  height: number;
  /** EXIF orientation the file carried (1 when none). */
  orientation: number;
}

type Kind = 'PNG' | 'JPEG';

function sniff(bytes: Uint8Array): Kind | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'PNG';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'JPEG';
  return undefined;
}

/**
 * Decodes PNG or JPEG bytes (sniffed from the signature, not the file name) with the rules of src/core/picture.ts:
 * the pixel count is checked from the header first (over MAX_PICTURE_PIXELS: refused with one line, nothing
 * decoded); the EXIF orientation is applied; alpha is composited over PICTURE_BACKGROUND; a picture longer than
 * WORKING_MAX_SIDE is reduced while it is decoded (sharp/libvips shrink-on-load, Lanczos), so a 48 MP photo never
 * sits in memory at full size. Damaged files throw InvalidInputError "cannot decode NAME: truncated or corrupt …".
 */
export async function decodePicture(bytes: Uint8Array, name = 'image'): Promise<DecodedPicture> {
  const kind = sniff(bytes);
  if (!kind) throw new InvalidInputError(`${name} is not a PNG or JPEG image`);
  const header = pictureHeader(bytes);
  const tooLarge = header && pixelLimitProblem(header.width, header.height);
  if (tooLarge) throw new InvalidInputError(`${name}: ${tooLarge}`);
  try {
    const input = sharp(bytes, { limitInputPixels: MAX_PICTURE_PIXELS, failOn: 'warning' });
    const meta = await input.metadata();
    const orientation = meta.orientation ?? 1;
    const [width, height] = swapsSides(orientation) ? [meta.height, meta.width] : [meta.width, meta.height];
    const target = workingSize(width, height);
    let pipeline = input.autoOrient();
    if (target.width !== width || target.height !== height) pipeline = pipeline.resize(target.width, target.height, { fit: 'fill', kernel: 'lanczos3' });
    const { data, info } = await pipeline.flatten({ background: PICTURE_BACKGROUND_CSS }).toColourspace('srgb').ensureAlpha(1).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 4 || data.length !== info.width * info.height * 4) throw new Error(`unexpected ${info.channels}-channel output`);
    return { image: { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, width, height, orientation };
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(`cannot decode ${name}: truncated or corrupt ${kind} (${(err as Error).message.split('\n')[0]})`);
  }
}

/** The pixels of decodePicture (upright, opaque, at most WORKING_MAX_SIDE on the long side). */
export async function decodeImage(bytes: Uint8Array, name = 'image'): Promise<RgbaImage> {
  return (await decodePicture(bytes, name)).image;
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InvalidInputError(`no such file: ${path}`);
    if (code === 'EISDIR') throw new InvalidInputError(`${path} is a directory, not an image`);
    throw new InvalidInputError(`cannot read ${path}: ${code ?? (err as Error).message}`);
  }
}

/** Reads and decodes an image file (see decodePicture), with one-line messages for missing, unreadable or broken files. */
export async function readPicture(path: string): Promise<DecodedPicture> {
  return decodePicture(await readBytes(path), path);
}

/** readPicture's pixels. */
export async function readImage(path: string): Promise<RgbaImage> {
  return (await readPicture(path)).image;
}

/** RGBA → PNG file bytes (pngjs). */
export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return PNG.sync.write(png);
}

/** Writes RGBA as a PNG file; a failure is one line naming the file. */
export function writePng(path: string, image: RgbaImage): void {
  try {
    writeFileSync(path, encodePng(image));
  } catch (err) {
    throw new InvalidInputError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

