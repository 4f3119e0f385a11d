import type * as tf from '@tensorflow/tfjs';
import { type CropRect, type FitMode, type RgbaImage, imageToModelInput } from '../core/preprocess';
import { readImage } from '../node/image-io';
import { type CliContext, choiceOption } from './command';

/** Shared by every command that takes an IMAGE: --fit stretch|center-crop. */
export const FIT_OPTION = { fit: { type: 'string' } } as const;

export interface LoadedImage {
  path: string;
  image: RgbaImage;
  input: tf.Tensor4D;
  crop: CropRect;
}

/** Reads IMAGE (PNG/JPEG, any size) and prepares the model input. The caller disposes `input`. */
export function loadImage(ctx: CliContext, path: string): LoadedImage {
  const fit = choiceOption<FitMode>(ctx.values, 'fit', ['stretch', 'center-crop'], 'stretch');
  const image = readImage(path);
  const { tensor, crop } = imageToModelInput(image, fit);
  return { path, image, input: tensor, crop };
}
