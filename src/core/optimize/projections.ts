import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import { pixelsToModel } from './units';

/** A constraint the engine restores after every step: x ← P(x). */
export interface Projection {
  readonly name: string;
  project(x: tf.Tensor4D): tf.Tensor4D;
}

/**
 * Float32 slack taken off ball radii. x = c + δ is rounded to float32, which can move it by half an ulp (≤ 1.2e-7
 * for |x| < 2); shrinking the radius by more than that makes ‖x − c‖∞ ≤ ε hold exactly when measured in double
 * precision, not only up to rounding. 2⁻²¹ model units are 6e-5 pixel levels: invisible.
 */
const LINF_SLACK = 2 ** -21;
/** The L2 norm is a float32 sum of 150k squares; a relative slack of 1e-4 covers its rounding. */
const L2_RELATIVE_SLACK = 1e-4;

/**
 * Throws InvalidInputError unless `eps` is a finite number > 0 (pixel levels, 0–255 units); `what` names it in the
 * message (e.g. 'step size').
 */
export function checkEpsilon(eps: number, what = 'eps'): void {
  if (!Number.isFinite(eps) || eps <= 0) throw new InvalidInputError(`${what} must be a positive number (0–255 pixel units), got ${eps}`);
}

/** Valid pixels: model values in [−1, 1] (0..255). */
export function pixelRange(): Projection {
  return { name: 'pixel range', project: (x) => tf.clipByValue(x, -1, 1) };
}

/** ‖x − center‖∞ ≤ eps (pixel units). The caller keeps `center` alive for the run. */
export function linfBall(center: tf.Tensor4D, eps: number): Projection {
  checkEpsilon(eps);
  const r = pixelsToModel(eps) - LINF_SLACK;
  return {
    name: `L∞ ball ε=${eps}`,
    project: (x) => tf.tidy(() => tf.add(center, tf.clipByValue(tf.sub(x, center), -r, r))),
  };
}

/** ‖x − center‖₂ ≤ eps (pixel units, norm over all pixels and channels of each image). */
export function l2Ball(center: tf.Tensor4D, eps: number): Projection {
  checkEpsilon(eps);
  const r = pixelsToModel(eps) * (1 - L2_RELATIVE_SLACK);
  return {
    name: `L2 ball ε=${eps}`,
    project: (x) =>
      tf.tidy(() => {
        const d = tf.sub(x, center);
        const norm = tf.sqrt(tf.sum(tf.square(d), [1, 2, 3], true));
        const factor = tf.minimum(1, tf.div(r, tf.maximum(norm, 1e-12)));
        return tf.add(center, tf.mul(d, factor));
      }),
  };
}
