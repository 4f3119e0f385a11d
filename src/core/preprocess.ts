import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from './errors';

/** Decoded picture: RGBA bytes, row-major (the layout of ImageData, pngjs and jpeg-js). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** A rectangle in image pixels. */
export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * How an image of any aspect ratio becomes the square model input.
 * - 'stretch' (default): the whole image, resized to 224×224 without keeping the aspect ratio. Nothing is cut
 *   away, so every attribution map covers the whole picture; it is also how the reference figures were made.
 * - 'center-crop': the largest centred square, resized; keeps proportions but drops the sides.
 * Either way the crop rectangle the model saw is reported, so maps can be drawn back onto the original.
 */
export type FitMode = 'stretch' | 'center-crop';

/** Side of the square model input in pixels: MobileNet v1 takes [N, 224, 224, 3]. */
export const MODEL_INPUT_SIZE = 224;

/** A model input batch of one, values in [-1, 1], with the crop (in source pixels) it was made from. */
export interface ModelInput {
  tensor: tf.Tensor4D;
  crop: CropRect;
}

/**
 * The rectangle of a width × height source image (source pixels) that becomes the model input under `fit`: the whole
 * image for 'stretch' (default), the largest centred square for 'center-crop' (offsets floored). No checks: the
 * caller passes positive sizes.
 */
export function cropFor(width: number, height: number, fit: FitMode = 'stretch'): CropRect {
  if (fit === 'stretch') return { x: 0, y: 0, width, height };
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side };
}

/** RGBA bytes → float tensor [H, W, 3] with values 0..255. */
export function imageToTensor(image: RgbaImage): tf.Tensor3D {
  const { width, height, data } = image;
  if (!(width > 0 && height > 0) || data.length !== width * height * 4) {
    throw new InvalidInputError(`image data does not match its size (${width}×${height}, ${data.length} bytes)`);
  }
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
    rgb[j] = data[i]!;
    rgb[j + 1] = data[i + 1]!;
    rgb[j + 2] = data[i + 2]!;
  }
  return tf.tensor3d(rgb, [height, width, 3]);
}

/**
 * Pixels [H, W, 3] in 0..255 → model input [1, size, size, 3] scaled to [-1, 1] (x / 127.5 − 1), bilinear resize;
 * `size` is the model's ConvNet.inputSize (default 224, MobileNet v1's).
 */
export function toModelInput(pixels: tf.Tensor3D, fit: FitMode = 'stretch', size = MODEL_INPUT_SIZE): ModelInput {
  const [height, width] = pixels.shape;
  return cropToModelInput(pixels, cropFor(width, height, fit), size);
}

/**
 * Pixels [H, W, 3] in 0..255 → model input of the rectangle `crop` (integer pixels inside the picture), as
 * toModelInput does for the crop of a fit mode.
 */
export function cropToModelInput(pixels: tf.Tensor3D, crop: CropRect, size = MODEL_INPUT_SIZE): ModelInput {
  const [height, width] = pixels.shape;
  const whole = crop.x === 0 && crop.y === 0 && crop.width === width && crop.height === height;
  const tensor = tf.tidy(() => {
    const cropped = whole ? pixels : tf.slice(pixels, [crop.y, crop.x, 0], [crop.height, crop.width, 3]);
    const resized = tf.image.resizeBilinear(cropped.toFloat(), [size, size]);
    return tf.sub(tf.div(resized, 127.5), 1).expandDims(0) as tf.Tensor4D;
  });
  return { tensor, crop: { ...crop } };
}

/** Convenience: decoded image → model input. */
export function imageToModelInput(image: RgbaImage, fit: FitMode = 'stretch', size = MODEL_INPUT_SIZE): ModelInput {
  const pixels = imageToTensor(image);
  try {
    return toModelInput(pixels, fit, size);
  } finally {
    pixels.dispose();
  }
}

/** Decoded image → model input of the rectangle `crop` of it (image pixels). */
export function imageCropToModelInput(image: RgbaImage, crop: CropRect, size = MODEL_INPUT_SIZE): ModelInput {
  const pixels = imageToTensor(image);
  try {
    return cropToModelInput(pixels, crop, size);
  } finally {
    pixels.dispose();
  }
}

/** Model-space tensor [1, H, W, 3] in [-1, 1] → RGBA bytes (values clipped and rounded to 8 bits). */
export async function modelInputToImage(input: tf.Tensor4D | tf.Tensor3D): Promise<RgbaImage> {
  const [height, width] = input.rank === 4 ? input.shape.slice(1, 3) : input.shape.slice(0, 2);
  const rgb = tf.tidy(() => tf.clipByValue(tf.round(tf.mul(tf.add(input, 1), 127.5)), 0, 255).reshape([-1]));
  const values = await rgb.data();
  rgb.dispose();
  const data = new Uint8ClampedArray(width! * height! * 4);
  for (let i = 0, j = 0; j < values.length; i += 4, j += 3) {
    data[i] = values[j]!;
    data[i + 1] = values[j + 1]!;
    data[i + 2] = values[j + 2]!;
    data[i + 3] = 255;
  }
  return { width: width!, height: height!, data };
}
