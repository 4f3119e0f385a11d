import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import { type ConvNet, type TapRequest, type Taps, disposeTaps } from '../network';
import { type Target, type TargetChoice, checkTargetChoice, targetObjective, targetRequest, topClassOf } from '../target';
import type { AttributionMethod, AttributionOptions } from './types';

export { GRADCAM_DISPLAY } from './defaults';

export interface GradCamOptions extends AttributionOptions {
  /** Layer whose feature maps are weighted (default: the last spatial layer, conv_pw_13_relu in MobileNet v1). */
  layer?: string;
}

/**
 * The layer Grad-CAM reads: the named layer's block output (a conv or batch norm resolves to its ReLU). Throws
 * InvalidInputError for a layer without feature maps (after the global pooling) and UnknownLayerError.
 */
export function camLayer(net: ConvNet, requested: string | undefined): string {
  const spatial = net.spatialLayers();
  if (requested === undefined) return spatial.at(-1)!.name;
  const info = net.layer(requested);
  if (info.outputShape.length !== 3 || !spatial.some((l) => l.name === requested)) {
    throw new InvalidInputError(
      `Grad-CAM needs a layer with feature maps before the global pooling; '${requested}' has shape [${info.outputShape.join(', ')}] (e.g. ${spatial.at(-1)!.name})`,
    );
  }
  return net.blockOutput(requested);
}

export interface GradCamPassOptions {
  target: TargetChoice;
  layer?: string | undefined;
  /** Taps of the input wanted from the same forward pass (the live view's top-5, activations, features). */
  taps?: TapRequest;
}

/** Grad-CAM's tensors for the first image; the caller owns them. */
export interface GradCamPass {
  /** The map upsampled to the input, [224, 224], values ≥ 0. */
  map: tf.Tensor2D;
  /** The raw map at the layer's resolution, [h, w], values ≥ 0. */
  cam: tf.Tensor2D;
  /** The requested taps of the input (batch of 1). */
  taps: Taps;
  /** The target explained ('top' resolved). */
  target: Target;
  layer: string;
}

/**
 * Grad-CAM (Selvaraju et al. 2017): weight each feature map A_k of a conv layer by the spatial mean of
 * ∂score/∂A_k (α_k), sum, keep the positive part (ReLU(Σ_k α_k A_k)), and upsample bilinearly (half-pixel centres)
 * to the input size. One fused forward pass gives the layer's activations (and any other taps); the gradient is
 * then taken from the layer onwards only — a partial backward pass, much cheaper than going back to the pixels.
 */
export async function gradCamPass(net: ConvNet, input: tf.Tensor4D, options: GradCamPassOptions): Promise<GradCamPass> {
  checkTargetChoice(net, options.target);
  const layer = camLayer(net, options.layer);
  const wanted = options.target;
  if (wanted !== 'top' && wanted.kind !== 'class' && net.layers.findIndex((l) => l.name === wanted.layer) <= net.layers.findIndex((l) => l.name === layer)) {
    throw new InvalidInputError(`Grad-CAM target layer '${wanted.layer}' must come after '${layer}'`);
  }
  const first = input.shape[0] === 1 ? input : (tf.slice(input, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
  const extra = options.taps ?? {};
  const forward = net.run(first, {
    layers: [...new Set([layer, ...(extra.layers ?? [])])],
    logits: Boolean(extra.logits) || wanted === 'top',
    probabilities: Boolean(extra.probabilities),
    features: Boolean(extra.features),
  });
  if (first !== input) first.dispose();
  const target: Target = wanted === 'top' ? { kind: 'class', index: await topClassOf(forward.logits!) } : wanted;
  const activation = forward.activations[layer] as tf.Tensor4D;
  const result = net.gradient(activation, targetRequest(target), targetObjective(target), { from: layer });
  const [, h, w] = activation.shape;
  const [cam, map] = tf.tidy(() => {
    const weights = tf.mean(result.gradient, [1, 2], true);
    const camMap = tf.relu(tf.sum(tf.mul(activation, weights), -1, true)) as tf.Tensor4D;
    const upsampled = tf.image.resizeBilinear(camMap, [net.inputSize, net.inputSize], false, true);
    return [tf.reshape(camMap, [h, w]) as tf.Tensor2D, tf.reshape(upsampled, [net.inputSize, net.inputSize]) as tf.Tensor2D];
  });
  tf.dispose([result.value, result.gradient]);
  disposeTaps(result.taps);
  // Hand back only the taps that were asked for.
  const taps: Taps = { activations: {} };
  for (const name of extra.layers ?? []) taps.activations[name] = forward.activations[name]!;
  if (extra.logits) taps.logits = forward.logits!;
  if (extra.probabilities) taps.probabilities = forward.probabilities!;
  if (extra.features) taps.features = forward.features!;
  const kept = new Set<tf.Tensor>([...Object.values(taps.activations), taps.logits, taps.probabilities, taps.features].filter((t): t is tf.Tensor => t !== undefined));
  tf.dispose([...Object.values(forward.activations), forward.logits, forward.probabilities, forward.features].filter((t): t is tf.Tensor => t !== undefined && !kept.has(t)));
  return { map, cam, taps, target, layer };
}

/** Grad-CAM under the common attribution signature; `extras` holds the raw map (`cam`) and its size. */
export const gradCam: AttributionMethod<GradCamOptions> = async (net, input, options) => {
  const pass = await gradCamPass(net, input.tensor, { target: options.target, layer: options.layer });
  try {
    const [camData, data] = await Promise.all([pass.cam.data(), pass.map.data()]);
    const [h, w] = pass.cam.shape;
    return {
      method: 'gradcam',
      width: net.inputSize,
      height: net.inputSize,
      data: data as Float32Array,
      crop: input.crop,
      target: pass.target,
      extras: { layerWidth: w, layerHeight: h, cam: Array.from(camData) },
    };
  } finally {
    tf.dispose([pass.cam, pass.map]);
    disposeTaps(pass.taps);
  }
};
