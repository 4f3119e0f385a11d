import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import type { Regulariser } from './regularisers';

/**
 * The projective matrix of tf.image.transform ([a0, a1, a2, b0, b1, b2, c0, c1]: output (x, y) reads input
 * (a0·x + a1·y + a2, b0·x + b1·y + b2)) for a rotation by `radians` and a scale by `scale` (> 1 enlarges) about the
 * centre of an n × n image.
 */
export function affineMatrix(n: number, scale: number, radians: number): number[] {
  const c = (n - 1) / 2;
  const cos = Math.cos(radians) / scale;
  const sin = Math.sin(radians) / scale;
  return [cos, sin, c * (1 - cos - sin), -sin, cos, c * (1 + sin - cos), 0, 0];
}

/** Options of randomAffine: the ranges each step's scale factor and rotation are drawn from (uniformly). */
export interface AffineOptions {
  /** Scale factors [min, max], both > 0 (Lucid's standard transforms: 0.9–1.1). */
  scale: readonly [number, number];
  /** Largest rotation either way, in degrees (Lucid: 10). */
  degrees: number;
}

/**
 * Lucid's random scale and rotation (Olah et al. 2017, "transformation robustness"; lucid/optvis/transform.py
 * `random_scale`, `random_rotate`): every step the network sees the image scaled by a factor drawn from
 * `scale` and rotated by up to ±`degrees` about its centre, resampled bilinearly with wrap-around borders (the
 * Fourier parameterisation's images are periodic). The gradient is mapped back by the inverse warp (scaled by the
 * area change), so patterns that only work at one exact size and angle are not rewarded.
 * Throws InvalidInputError for a non-positive or inverted scale range or a negative angle.
 */
export function randomAffine({ scale, degrees }: AffineOptions): Regulariser {
  const [lo, hi] = scale;
  if (!(lo > 0 && hi >= lo && Number.isFinite(hi))) throw new InvalidInputError(`scale range must be 0 < min ≤ max, got [${lo}, ${hi}]`);
  if (!Number.isFinite(degrees) || degrees < 0) throw new InvalidInputError(`rotation must be ≥ 0 degrees, got ${degrees}`);
  return {
    name: `scale ${lo}–${hi}, rotate ±${degrees}°`,
    transform: (x, { rng }) => {
      const s = lo + (hi - lo) * rng.next();
      const a = ((2 * rng.next() - 1) * degrees * Math.PI) / 180;
      const [b, h, w] = x.shape;
      if (h !== w) throw new InvalidInputError(`random scale/rotation needs a square image, got ${h} × ${w}`);
      const sample = (v: tf.Tensor4D, scaleBy: number, radians: number): tf.Tensor4D =>
        tf.tidy(() => {
          const matrix = tf.tile(tf.tensor2d([affineMatrix(h, scaleBy, radians)]), [b, 1]) as tf.Tensor2D;
          return tf.image.transform(v, matrix, 'bilinear', 'wrap');
        });
      return {
        input: sample(x, s, a),
        // The inverse warp, times the area change s², stands for the sampler's adjoint (equal for smooth images;
        // the exact adjoint is a scatter-add, which tf.image.transform has no gradient for).
        undo: (g) => tf.tidy(() => tf.mul(sample(g, 1 / s, -a), s * s)),
      };
    },
  };
}
