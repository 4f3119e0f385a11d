import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import type { ConvNet, TapRequest, Taps } from '../network';
import { type Target, checkClassIndex, checkTarget } from '../target';

export { checkClassIndex } from '../target';

/**
 * An objective reads tapped outputs of one differentiable pass and returns a scalar that the engine MAXIMISES.
 * It asks for exactly the taps it needs, so a pass stops at the deepest requested layer (an early-layer feature
 * costs a fraction of a full pass). Values are averaged over the batch, so the same objective serves one image
 * and a perturbation added to many.
 */
export interface Objective {
  readonly name: string;
  readonly request: TapRequest;
  /** Copies of the input the objective wants in one batch (DeepFool: one per candidate class); default 1. */
  readonly copies?: number;
  value(taps: Taps): tf.Scalar;
}

/** Unnormalised class score S_c (the logit before softmax), as Simonyan et al. maximise it. */
export function classLogit(net: ConvNet, index: number): Objective {
  checkTarget(net, { kind: 'class', index });
  return {
    name: `logit[${index}]`,
    request: { logits: true },
    value: (taps) => tf.mean(tf.slice(taps.logits!, [0, index], [-1, 1])),
  };
}

/**
 * The layer feeding an activation layer (ReLU6 after a conv + batch norm), or undefined for any other layer.
 * Feature objectives read it by default, as Lucid reads "…_pre_relu": a unit that is off (input ≤ 0, e.g. on the
 * grey start image) has no gradient after its ReLU, but its pre-activation always has one.
 */
export function preActivationOf(net: ConvNet, layer: string): string | undefined {
  const i = net.layers.findIndex((l) => l.name === layer);
  const info = net.layers[i];
  const before = net.layers[i - 1];
  if (!info || !before || !['Activation', 'ReLU'].includes(info.className)) return undefined;
  if (!['BatchNormalization', 'Conv2D', 'DepthwiseConv2D'].includes(before.className)) return undefined;
  return net.hasLayer(before.name) ? before.name : undefined;
}

export interface FeatureObjectiveOptions {
  /** Drive the unit's input to its ReLU instead of its output (default true; see preActivationOf). */
  preActivation?: boolean;
}

function featureLayer(net: ConvNet, layer: string, options: FeatureObjectiveOptions): string {
  return options.preActivation === false ? layer : (preActivationOf(net, layer) ?? layer);
}

/** Mean activation of one channel of a layer (whole feature map). */
export function channelMean(net: ConvNet, layer: string, channel: number, options: FeatureObjectiveOptions = {}): Objective {
  checkTarget(net, { kind: 'channel', layer, channel });
  const tap = featureLayer(net, layer, options);
  return {
    name: `${tap}[:, :, ${channel}]`,
    request: { layers: [tap] },
    value: (taps) => {
      const a = taps.activations[tap]!;
      const begin = a.shape.map((_, i) => (i === a.rank - 1 ? channel : 0));
      const size = a.shape.map((_, i) => (i === a.rank - 1 ? 1 : -1));
      return tf.mean(tf.slice(a, begin, size));
    },
  };
}

/** One unit: the activation of channel `channel` at feature-map position (x, y). */
export function neuron(net: ConvNet, layer: string, channel: number, at: { x: number; y: number }, options: FeatureObjectiveOptions = {}): Objective {
  checkTarget(net, { kind: 'neuron', layer, channel, x: at.x, y: at.y });
  const tap = featureLayer(net, layer, options);
  return {
    name: `${tap}[${at.y}, ${at.x}, ${channel}]`,
    request: { layers: [tap] },
    value: (taps) => tf.mean(tf.slice(taps.activations[tap]!, [0, at.y, at.x, channel], [-1, 1, 1, 1])),
  };
}

/**
 * The objective that maximises a target (the one Target type of attribution, visualisation and top patches):
 * a class's logit, a channel's mean activation or one neuron — for feature targets, at the pre-activation by
 * default (see preActivationOf).
 */
export function objectiveFor(net: ConvNet, target: Target, options: FeatureObjectiveOptions = {}): Objective {
  switch (target.kind) {
    case 'class':
      return classLogit(net, target.index);
    case 'channel':
      return channelMean(net, target.layer, target.channel, options);
    case 'neuron':
      return neuron(net, target.layer, target.channel, { x: target.x, y: target.y }, options);
  }
}

/** Output shape of a tappable layer (UnknownLayerError for names the network does not have). */
function tappable(net: ConvNet, layer: string): number[] {
  const info = net.layer(layer);
  if (!net.hasLayer(layer)) throw new InvalidInputError(`layer '${layer}' cannot be tapped (it is the input)`);
  return info.outputShape;
}

/**
 * Feature inversion (Mahendran & Vedaldi): −‖φ(x) − φ₀‖² / ‖φ₀‖², the relative squared distance to the target
 * features, negated so that the engine's ascent brings it towards 0. The caller owns `target` ([1, …layer shape]).
 */
export function featureDistance(net: ConvNet, layer: string, target: tf.Tensor): Objective {
  const shape = tappable(net, layer);
  const got = target.shape.slice(1);
  if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
    throw new InvalidInputError(`target features [${got.join(', ')}] do not match layer '${layer}' [${shape.join(', ')}]`);
  }
  const norm = tf.tidy(() => tf.sum(tf.square(target)).dataSync()[0]!);
  const scale = 1 / Math.max(norm, 1e-12);
  return {
    name: `−‖φ−φ₀‖²/‖φ₀‖² at ${layer}`,
    request: { layers: [layer] },
    value: (taps) => {
      const a = taps.activations[layer]!;
      const perImage = tf.sum(tf.square(tf.sub(a, target)), a.shape.slice(1).map((_, i) => i + 1));
      return tf.mul(tf.mean(perImage), -scale);
    },
  };
}

/**
 * Cross-entropy to a class. 'towards' maximises log p(target) (targeted attack, fooling images); 'away' maximises
 * −log p(label), pushing the image out of its class (untargeted attack).
 */
export function crossEntropy(net: ConvNet, index: number, direction: 'towards' | 'away' = 'towards'): Objective {
  checkClassIndex(net, index);
  const sign = direction === 'towards' ? 1 : -1;
  return {
    name: `${direction === 'towards' ? '' : '−'}log p[${index}]`,
    request: { logits: true },
    value: (taps) => tf.mul(tf.mean(tf.slice(tf.logSoftmax(taps.logits!), [0, index], [-1, 1])), sign),
  };
}

/**
 * DeepFool's linearisation needs f_k − f_orig and its gradient for every candidate class k. With one copy of the
 * input per candidate and the objective Σ_b (logit[b, k_b] − logit[b, orig]), a single backward pass yields each
 * candidate's gradient in its own batch row.
 */
export function logitMargins(net: ConvNet, original: number, candidates: readonly number[]): Objective {
  checkClassIndex(net, original);
  candidates.forEach((k) => checkClassIndex(net, k, 'candidate class'));
  if (candidates.length === 0) throw new InvalidInputError('DeepFool needs at least one candidate class');
  return {
    name: `logit margins to ${candidates.length} classes`,
    request: { logits: true },
    copies: candidates.length,
    value: (taps) => tf.sum(marginsOf(taps.logits!, original, candidates)),
  };
}

/** f_{k_b} − f_orig for each batch row b of [K, classes] logits. */
export function marginsOf(logits: tf.Tensor2D, original: number, candidates: readonly number[]): tf.Tensor1D {
  return tf.tidy(() => {
    const picks = tf.oneHot(tf.tensor1d(candidates.slice(), 'int32'), logits.shape[1]);
    const own = tf.sum(tf.mul(logits, picks), 1);
    const orig = tf.reshape(tf.slice(logits, [0, original], [-1, 1]), [-1]);
    return tf.sub(own, orig) as tf.Tensor1D;
  });
}
