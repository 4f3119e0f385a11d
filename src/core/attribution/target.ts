import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import { assertClassIndex } from '../labels';
import type { ConvNet, TapRequest, Taps } from '../network';
import type { AttributionTarget } from './types';

/** Checks a target against the network; throws a readable error for unknown layers or out-of-range indices. */
export function checkTarget(net: ConvNet, target: AttributionTarget): void {
  if (target.kind === 'class') {
    assertClassIndex(target.index);
    return;
  }
  const shape = net.layer(target.layer).outputShape;
  const channels = shape.at(-1)!;
  if (!Number.isInteger(target.channel) || target.channel < 0 || target.channel >= channels) {
    throw new InvalidInputError(`channel ${target.channel} is out of range 0..${channels - 1} for layer '${target.layer}'`);
  }
  if (target.kind === 'neuron') {
    if (shape.length !== 3) throw new InvalidInputError(`layer '${target.layer}' has no spatial positions`);
    const [h, w] = shape as [number, number, number];
    if (!Number.isInteger(target.x) || !Number.isInteger(target.y) || target.x < 0 || target.y < 0 || target.x >= w || target.y >= h) {
      throw new InvalidInputError(`neuron (${target.x}, ${target.y}) is outside layer '${target.layer}' (${w}×${h})`);
    }
  }
}

/** The taps a target needs. */
export function targetRequest(target: AttributionTarget): TapRequest {
  return target.kind === 'class' ? { logits: true } : { layers: [target.layer] };
}

/** The target's score for each image of the batch, shape [N]. */
export function targetScores(taps: Taps, target: AttributionTarget): tf.Tensor1D {
  if (target.kind === 'class') {
    const logits = taps.logits!;
    return tf.reshape(tf.slice(logits, [0, target.index], [logits.shape[0], 1]), [-1]);
  }
  const a = taps.activations[target.layer]!;
  if (target.kind === 'channel') {
    const channel = tf.slice(a, [...a.shape.slice(0, -1).map(() => 0), target.channel], [...a.shape.slice(0, -1), 1]);
    return tf.reshape(tf.mean(channel, a.shape.slice(1, -1).map((_, i) => i + 1)), [-1]);
  }
  return tf.reshape(tf.slice(a, [0, target.y, target.x, target.channel], [a.shape[0]!, 1, 1, 1]), [-1]);
}

/** Scalar objective: the sum of the batch's target scores, so each image gets its own gradient. */
export function targetObjective(target: AttributionTarget): (taps: Taps) => tf.Scalar {
  return (taps) => tf.sum(targetScores(taps, target));
}

