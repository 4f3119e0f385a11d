import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import type { ConvNet } from '../network';
import { checkTarget, targetObjective, targetRequest } from './target';
import type { AttributionMethod, AttributionOptions } from './types';

export interface GradCamOptions extends AttributionOptions {
  /** Conv layer whose feature maps are weighted (default: the last spatial layer, conv_pw_13_relu). */
  layer?: string;
}

/** The layer Grad-CAM reads: the named layer's block output (a conv or batch norm resolves to its ReLU). */
function camLayer(net: ConvNet, requested: string | undefined): string {
  const spatial = net.spatialLayers();
  if (requested === undefined) return spatial.at(-1)!.name;
  const info = net.layer(requested);
  if (info.outputShape.length !== 3) throw new InvalidInputError(`Grad-CAM needs a layer with feature maps; '${requested}' has shape [${info.outputShape.join(', ')}]`);
  return net.blockOutput(requested);
}

/**
 * Grad-CAM (Selvaraju et al. 2017): weight each feature map A_k of a conv layer by the spatial mean of
 * ∂score/∂A_k, sum, keep the positive part, and upsample to the input size. The gradient is taken from the
 * layer onwards only (a partial backward pass), which is cheaper than going back to the pixels.
 */
export const gradCam: AttributionMethod<GradCamOptions> = async (net, input, options) => {
  const { target } = options;
  checkTarget(net, target);
  const layer = camLayer(net, options.layer);
  const layerIndex = net.layers.findIndex((l) => l.name === layer);
  if (target.kind !== 'class' && net.layers.findIndex((l) => l.name === target.layer) <= layerIndex) {
    throw new InvalidInputError(`Grad-CAM target layer '${target.layer}' must come after '${layer}'`);
  }
  const taps = net.run(input.tensor, { layers: [layer] });
  const activation = taps.activations[layer] as tf.Tensor4D;
  const { value, gradient, taps: rest } = net.gradient(activation, targetRequest(target), targetObjective(target), { from: layer });
  const [, h, w] = activation.shape;
  const [cam, up] = tf.tidy(() => {
    const first = (t: tf.Tensor): tf.Tensor4D => t.slice([0, 0, 0, 0], [1, h, w, -1]) as tf.Tensor4D;
    const weights = tf.mean(first(gradient), [1, 2], true);
    const camMap = tf.relu(tf.sum(tf.mul(first(activation), weights), -1, true)) as tf.Tensor4D;
    const upsampled = tf.image.resizeBilinear(camMap, [net.inputSize, net.inputSize], false, true);
    return [camMap.reshape([-1]), upsampled.reshape([-1])];
  });
  tf.dispose([activation, value, gradient, ...Object.values(rest.activations), rest.logits]);
  const [camData, data] = await Promise.all([cam.data(), up.data()]);
  tf.dispose([cam, up]);
  return {
    method: 'gradcam',
    width: net.inputSize,
    height: net.inputSize,
    data: data as Float32Array,
    crop: input.crop,
    extras: { layerWidth: w, layerHeight: h, cam: Array.from(camData) },
  };
};
