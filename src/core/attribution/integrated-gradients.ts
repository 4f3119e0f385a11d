import * as tf from '@tensorflow/tfjs';
import { inputGradient } from './gradient';
import { throwIfAborted, yieldToEventLoop } from '../cancel';
import { resolveTarget, targetRequest, targetScores } from '../target';
import { INTEGRATED_GRADIENTS_DEFAULTS } from './defaults';
import type { AttributionMethod, AttributionOptions } from './types';

export { INTEGRATED_GRADIENTS_DEFAULTS, INTEGRATED_GRADIENTS_DISPLAY } from './defaults';

export interface IntegratedGradientsOptions extends AttributionOptions {
  /** Riemann steps along the path (midpoint rule). */
  steps?: number;
  /** Baseline image: black (the usual choice) or mid-grey. */
  baseline?: 'black' | 'gray';
  /** Interpolated images per gradient pass. */
  batchSize?: number;
}

/**
 * Integrated Gradients (Sundararajan et al. 2017): (x − x′) ⊙ ∫₀¹ ∂F(x′ + α(x − x′))/∂x dα, summed over colour
 * channels. The map is its absolute value; `signed` keeps the sign, and `extras` reports completeness: the
 * attributions should sum to F(x) − F(x′).
 */
export const integratedGradients: AttributionMethod<IntegratedGradientsOptions> = async (net, input, options) => {
  const { signal, onProgress } = options;
  const d = INTEGRATED_GRADIENTS_DEFAULTS;
  const { steps = d.steps, baseline = d.baseline, batchSize = d.batchSize } = options;
  const target = await resolveTarget(net, input.tensor, options.target);
  const x = input.tensor;
  const base = tf.fill(x.shape, baseline === 'black' ? -1 : 0) as tf.Tensor4D;
  let gradSum = tf.zerosLike(x) as tf.Tensor4D;
  try {
    for (let start = 0; start < steps; start += batchSize) {
      await yieldToEventLoop();
      throwIfAborted(signal);
      const n = Math.min(batchSize, steps - start);
      const alphas = Array.from({ length: n }, (_, k) => (start + k + 0.5) / steps);
      const path = tf.tidy(() => tf.add(base, tf.mul(tf.tensor4d(alphas, [n, 1, 1, 1]), tf.sub(x, base))) as tf.Tensor4D);
      const g = inputGradient(net, path, target);
      const next = tf.tidy(() => tf.add(gradSum, tf.sum(g, 0, true)) as tf.Tensor4D);
      tf.dispose([path, g, gradSum]);
      gradSum = next;
      onProgress?.(start + n, steps);
    }
    const signedT = tf.tidy(() => tf.sum(tf.mul(tf.sub(x, base), tf.div(gradSum, steps)), -1).reshape([-1]));
    const signed = (await signedT.data()) as Float32Array;
    signedT.dispose();
    const both = tf.concat([x, base]) as tf.Tensor4D;
    const ends = net.run(both, targetRequest(target));
    both.dispose();
    const scoreT = tf.tidy(() => targetScores(ends, target));
    const [fx, fBase] = await scoreT.data();
    tf.dispose([scoreT, ...Object.values(ends.activations), ends.logits]);
    let total = 0;
    const data = new Float32Array(signed.length);
    for (let i = 0; i < signed.length; i++) {
      total += signed[i]!;
      data[i] = Math.abs(signed[i]!);
    }
    const [, height, width] = x.shape;
    return {
      method: 'integrated-gradients',
      width,
      height,
      data,
      signed,
      crop: input.crop,
      target,
      extras: { attributionSum: total, scoreDifference: fx! - fBase!, steps },
    };
  } finally {
    tf.dispose([base, gradSum]);
  }
};
