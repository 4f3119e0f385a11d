import type * as tf from '@tensorflow/tfjs';
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InvalidInputError } from '../../core/errors';
import { scaleRect } from '../../core/picture';
import { type CropRect, type FitMode, type RgbaImage, cropFor, imageCropToModelInput } from '../../core/preprocess';
import { readPicture } from '../../node/image-io';
import { type CliContext, choiceOption } from '../command';

/** Shared by every command that takes an IMAGE: --fit stretch|center-crop. */
export const FIT_OPTION = { fit: { type: 'string' } } as const;

export interface LoadedImage {
  path: string;
  /** The decoded picture: upright, opaque (composited over PICTURE_BACKGROUND), at most WORKING_MAX_SIDE long. */
  image: RgbaImage;
  /** Model input [1, 224, 224, 3]; the caller disposes it. */
  input: tf.Tensor4D;
  /** What the model saw, in pixels of the displayed picture (orientation applied, before any reduction): reported. */
  crop: CropRect;
  /** The same region in `image`'s pixels: where maps are drawn. Equal to `crop` unless the picture was reduced. */
  imageCrop: CropRect;
  /** Size of the displayed picture. */
  width: number;
  height: number;
}

/** --fit, checked. */
export function fitOption(ctx: CliContext): FitMode {
  return choiceOption<FitMode>(ctx.values, 'fit', ['stretch', 'center-crop'], 'stretch');
}

/**
 * Reads IMAGE (PNG/JPEG up to MAX_PICTURE_PIXELS; orientation, transparency and size rules of src/core/picture.ts)
 * and prepares the model input of the --fit crop. The caller disposes `input`.
 */
export async function loadImage(ctx: CliContext, path: string): Promise<LoadedImage> {
  const fit = fitOption(ctx);
  const picture = await readPicture(path);
  const crop = cropFor(picture.width, picture.height, fit);
  const imageCrop = scaleRect(crop, picture, picture.image);
  const { tensor } = imageCropToModelInput(picture.image, imageCrop, (await ctx.net()).inputSize);
  return { path, image: picture.image, input: tensor, crop, imageCrop, width: picture.width, height: picture.height };
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/**
 * Model inputs for every PNG/JPEG file directly in `dir` (sorted by name). Files that fail to decode are skipped
 * with a line on stderr; no readable image at all is an error. Other files (a README, a licence) are ignored.
 */
export async function loadImageDir(ctx: CliContext, command: string, dir: string): Promise<{ inputs: tf.Tensor4D[]; files: string[] }> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new InvalidInputError(`${dir} is not a directory`);
    names = readdirSync(dir).sort();
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidInputError(code === 'ENOENT' ? `no such directory: ${dir}` : `cannot read directory ${dir}: ${code ?? (err as Error).message}`);
  }
  fitOption(ctx); // a bad --fit fails before any image is read
  const inputs: tf.Tensor4D[] = [];
  const files: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) continue;
    try {
      if (!statSync(path).isFile()) continue;
      const loaded = await loadImage(ctx, path);
      inputs.push(loaded.input);
      files.push(path);
    } catch (err) {
      console.error(`convlens ${command}: skipping ${path}: ${(err as Error).message}`);
    }
  }
  if (inputs.length === 0) throw new InvalidInputError(`no readable PNG or JPEG images in ${dir}`);
  return { inputs, files };
}
