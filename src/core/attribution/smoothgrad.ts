import * as tf from '@tensorflow/tfjs';
import { throwIfAborted, yieldToEventLoop } from '../cancel';
import type { AttributionMethod, AttributionOptions } from './types';

export interface SmoothGradOptions extends AttributionOptions {
  /** Number of noisy copies averaged (Smilkov et al. suggest 50; 16 already removes most speckle). */
  samples?: number;
  /** Noise σ as a share of the input range (model inputs span [-1, 1]); the paper recommends 10–20 %. */
  noise?: number;
  /** Seed of the noise, for reproducible maps. */
  seed?: number;
}

/**
 * SmoothGrad (Smilkov et al. 2017) as a wrapper over any attribution method: the average of the method's maps
 * on copies of the input with Gaussian noise added.
 */
export function smoothGrad<O extends AttributionOptions>(base: AttributionMethod<O>, name = 'smoothgrad'): AttributionMethod<O & SmoothGradOptions> {
  return async (net, input, options) => {
    const { samples = 16, noise = 0.15, seed = 0, signal, onProgress } = options;
    const sigma = noise * 2;
    let sum: Float32Array | undefined;
    let last;
    for (let i = 0; i < samples; i++) {
      await yieldToEventLoop();
      throwIfAborted(signal);
      const noisy = tf.tidy(() => tf.add(input.tensor, tf.randomNormal(input.tensor.shape, 0, sigma, 'float32', seed + i)) as tf.Tensor4D);
      try {
        last = await base(net, { tensor: noisy, crop: input.crop }, { ...options, onProgress: undefined });
      } finally {
        noisy.dispose();
      }
      sum ??= new Float32Array(last.data.length);
      for (let p = 0; p < sum.length; p++) sum[p] = sum[p]! + last.data[p]!;
      onProgress?.(i + 1, samples);
    }
    if (!last || !sum) throw new RangeError('SmoothGrad needs at least one sample');
    for (let p = 0; p < sum.length; p++) sum[p] = sum[p]! / samples;
    return { method: name, width: last.width, height: last.height, data: sum, crop: input.crop, extras: { samples, noise } };
  };
}
