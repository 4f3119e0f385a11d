import * as tf from '@tensorflow/tfjs';
import type { ConvNet, ReluMode } from '../network';
import type { ModelInput } from '../preprocess';
import { checkTarget, targetObjective, targetRequest } from './target';
import type { AttributionMap, AttributionTarget } from './types';

/** ∂target/∂input for each image of the batch (one differentiable pass). The caller disposes the result. */
export function inputGradient(net: ConvNet, input: tf.Tensor4D, target: AttributionTarget, relu: ReluMode = 'plain'): tf.Tensor4D {
  checkTarget(net, target);
  const { value, gradient, taps } = net.gradient(input, targetRequest(target), targetObjective(target), { relu });
  tf.dispose([value, ...Object.values(taps.activations), taps.logits]);
  return gradient as tf.Tensor4D;
}

/** max over RGB of |g| for the first image: the saliency map of Simonyan et al. */
export async function gradientMap(method: string, input: ModelInput, gradient: tf.Tensor4D): Promise<AttributionMap> {
  const [, height, width] = gradient.shape;
  const reduced = tf.tidy(() => tf.max(tf.abs(gradient.slice([0, 0, 0, 0], [1, height, width, 3])), -1));
  const data = (await reduced.data()) as Float32Array;
  reduced.dispose();
  return { method, width, height, data, crop: input.crop };
}
