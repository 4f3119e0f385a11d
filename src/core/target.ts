import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from './errors';
import { type ConvNet, type TapRequest, type Taps, disposeTaps } from './network';

/**
 * What a method explains or optimises — the one target type of attribution (src/core/attribution), feature
 * visualisation (src/core/optimize) and top patches (src/core/gallery):
 * - `class`: the class score, i.e. the logit of class `index` before the softmax (Simonyan et al. 2014 explain
 *   and maximise the unnormalised score);
 * - `channel`: the mean activation of channel `channel` of a layer over its whole feature map;
 * - `neuron`: one unit, channel `channel` at feature-map column `x`, row `y` (0-based) of a layer.
 */
export type Target =
  | { kind: 'class'; index: number }
  | { kind: 'channel'; layer: string; channel: number }
  | { kind: 'neuron'; layer: string; channel: number; x: number; y: number };

/**
 * A target, or `'top'`: the class the network ranks first for the (clean, unperturbed) input. Each method
 * resolves it from a pass it makes anyway and reports the class it used.
 */
export type TargetChoice = Target | 'top';

/** A class target. */
export function classTarget(index: number): Target {
  return { kind: 'class', index };
}

/**
 * Checks a target against the network. Throws InvalidInputError (one readable line) for a class index outside
 * 0..numClasses−1, a channel outside the layer, a neuron outside its feature map or a layer without positions,
 * and UnknownLayerError for a layer the network does not have.
 */
export function checkTarget(net: ConvNet, target: Target): void {
  if (target.kind === 'class') {
    checkClassIndex(net, target.index);
    return;
  }
  const shape = net.layer(target.layer).outputShape;
  if (!net.hasLayer(target.layer)) throw new InvalidInputError(`layer '${target.layer}' cannot be tapped (it is the input)`);
  const channels = shape.at(-1)!;
  if (!Number.isInteger(target.channel) || target.channel < 0 || target.channel >= channels) {
    throw new InvalidInputError(`channel ${target.channel} is out of range 0..${channels - 1} for layer '${target.layer}'`);
  }
  if (target.kind === 'neuron') {
    if (shape.length !== 3) throw new InvalidInputError(`layer '${target.layer}' has no spatial map: use a channel target`);
    const [h, w] = shape as [number, number, number];
    if (!Number.isInteger(target.x) || !Number.isInteger(target.y) || target.x < 0 || target.y < 0 || target.x >= w || target.y >= h) {
      throw new InvalidInputError(`neuron position ${target.x},${target.y} is outside the ${w}×${h} map of '${target.layer}'`);
    }
  }
}

/** Checks a class index against the network's head; `what` names it in the message ('target class', …). */
export function checkClassIndex(net: ConvNet, index: number, what = 'class index'): void {
  if (!Number.isInteger(index) || index < 0 || index >= net.numClasses) {
    throw new InvalidInputError(`${what} ${index} is out of range 0..${net.numClasses - 1}`);
  }
}

/** Checks a target or 'top' (always valid). */
export function checkTargetChoice(net: ConvNet, target: TargetChoice): void {
  if (target !== 'top') checkTarget(net, target);
}

/** The taps a target's score needs from a pass. */
export function targetRequest(target: TargetChoice): TapRequest {
  return target === 'top' || target.kind === 'class' ? { logits: true } : { layers: [target.layer] };
}

/**
 * The target's score for each image of the batch, shape [N]. For `'top'` the class is the first image's
 * highest logit (row 0 must be the clean input), chosen inside the graph through a one-hot mask so no read-back
 * is needed and the gradient flows to every row's logit of that class.
 */
export function targetScores(taps: Taps, target: TargetChoice): tf.Tensor1D {
  if (target === 'top') {
    const logits = taps.logits!;
    const top = tf.argMax(tf.slice(logits, [0, 0], [1, -1]), 1);
    const mask = tf.oneHot(top, logits.shape[1]);
    return tf.sum(tf.mul(logits, mask), 1);
  }
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

/** Scalar objective for a gradient: the sum of the batch's target scores, so each image gets its own gradient. */
export function targetObjective(target: TargetChoice): (taps: Taps) => tf.Scalar {
  return (taps) => tf.sum(targetScores(taps, target));
}

/**
 * Resolves `'top'` to the input's top class with one forward pass (fused, no gradient) of the first image;
 * other targets are checked and returned as they are.
 */
export async function resolveTarget(net: ConvNet, input: tf.Tensor4D, target: TargetChoice): Promise<Target> {
  if (target !== 'top') {
    checkTarget(net, target);
    return target;
  }
  const first = tf.slice(input, [0, 0, 0, 0], [1, -1, -1, -1]);
  const taps = net.run(first, { logits: true });
  first.dispose();
  const top = tf.argMax(taps.logits!, 1);
  const index = (await top.data())[0]!;
  top.dispose();
  disposeTaps(taps);
  return { kind: 'class', index };
}

/** The class index of a resolved `'top'` from the logits of a pass (row 0), read back. */
export async function topClassOf(logits: tf.Tensor2D): Promise<number> {
  const top = tf.tidy(() => tf.argMax(tf.slice(logits, [0, 0], [1, -1]), 1));
  const index = (await top.data())[0]!;
  top.dispose();
  return index;
}
