import * as tf from '@tensorflow/tfjs';
import { type ActivationMaps, channelStats } from './activation-maps';
import { InvalidInputError } from './errors';
import { type ConvNet, disposeTaps } from './network';

export * from './activation-maps';

/** Reads a tapped [1, H, W, C] activation into ActivationMaps (no disposal of the tensor). */
export async function toActivationMaps(layer: string, activation: tf.Tensor): Promise<ActivationMaps> {
  if (activation.rank !== 4) {
    throw new InvalidInputError(`layer '${layer}' has no spatial maps (output shape [${activation.shape.slice(1).join(', ')}])`);
  }
  const [, h, w, c] = activation.shape as [number, number, number, number];
  const first = activation.shape[0] === 1 ? activation : tf.slice(activation, [0, 0, 0, 0], [1, h, w, c]);
  const data = (await first.data()) as Float32Array;
  if (first !== activation) first.dispose();
  const shape: [number, number, number] = [h, w, c];
  return { layer, shape, data, channels: channelStats(data, shape) };
}

/** Activations of `layer` for the first image of `input`. */
export async function activationMaps(net: ConvNet, input: tf.Tensor4D, layer: string): Promise<ActivationMaps> {
  net.layer(layer);
  const taps = net.run(input, { layers: [layer] });
  try {
    return await toActivationMaps(layer, taps.activations[layer]!);
  } finally {
    disposeTaps(taps);
  }
}

