import * as tf from '@tensorflow/tfjs';
import { guidedBackprop } from './attribution/guided-backprop';
import type { AttributionMap } from './attribution/types';
import { throwIfAborted } from './cancel';
import type { FeatureExtractor } from './gallery/features';
import type { GalleryEntry } from './gallery/gallery';
import { type ReceptiveField, receptiveField, unitField, unitRegion } from './gallery/receptive-field';
import { type TopPatchResult, preActivationLayerOf, topPatches } from './gallery/top-patches';
import { checkLayerFor } from './layer-uses';
import { type ConvNet, disposeTaps } from './network';
import { type FeatureVisualization, visualizeFeature } from './optimize/visualize';
import type { PresetName } from './optimize/presets';
import type { CropRect, ModelInput } from './preprocess';
import { checkTarget } from './target';

/** The unit of a channel that responds most to an image: its position and values. */
export interface StrongestNeuron {
  layer: string;
  channel: number;
  /** Row and column in the layer's feature map (0-based). */
  y: number;
  x: number;
  /** The unit's output at `layer` (after ReLU6 for an activation layer: 0..6). */
  activation: number;
  /** The unit before the activation function, when `layer` is an activation layer (see rankedBy). */
  preActivation?: number;
  /**
   * What the position maximises: for a ReLU6 layer the pre-activation (clipped outputs tie at 6, as in topPatches),
   * else the layer's output. Ties go to the first position in row-major order.
   */
  rankedBy: 'pre-activation' | 'activation';
}

/**
 * The strongest unit of channel `channel` of a spatial layer on one image ([1, H, W, 3], model space): the
 * arg max over the feature map of the pre-activation (ReLU layers) or activation — the neuron whose three views
 * neuronViews shows. Throws InvalidInputError / UnknownLayerError for a layer without positions or a channel out
 * of range.
 */
export async function strongestNeuron(net: ConvNet, image: tf.Tensor4D, layer: string, channel: number): Promise<StrongestNeuron> {
  checkLayerFor(net, layer, 'top-patches');
  checkTarget(net, { kind: 'channel', layer, channel });
  const pre = preActivationLayerOf(net, layer);
  const taps = net.run(image, { layers: pre ? [layer, pre] : [layer] });
  try {
    const act = taps.activations[layer]!;
    const [, h, w, c] = act.shape as [number, number, number, number];
    const data = (await act.data()) as Float32Array;
    const preData = pre ? ((await taps.activations[pre]!.data()) as Float32Array) : undefined;
    const score = preData ?? data;
    let best = 0;
    for (let p = 1; p < h * w; p++) if (score[p * c + channel]! > score[best * c + channel]!) best = p;
    const i = best * c + channel;
    return {
      layer,
      channel,
      y: Math.floor(best / w),
      x: best % w,
      activation: data[i]!,
      ...(preData ? { preActivation: preData[i]! } : {}),
      rankedBy: pre ? 'pre-activation' : 'activation',
    };
  } finally {
    disposeTaps(taps);
  }
}

/** Options of neuronViews: the channel, the visualisation's preset and steps, how many patches; signal, progress. */
export interface NeuronViewsOptions {
  /** A spatial layer (e.g. conv_pw_5_relu) and one of its channels. */
  layer: string;
  channel: number;
  /** Gallery patches (default 6). */
  k?: number;
  /** The channel visualisation's preset (default 'yosinski') and step budget (default: the preset's). */
  preset?: PresetName;
  steps?: number;
  /** Seed of the visualisation (default 0). */
  seed?: number;
  signal?: AbortSignal;
  /**
   * After each unit of work: 1 for the neuron and its guided map, one per visualisation step, then the gallery
   * scan's images. `preview` is the visualisation so far (borrowed: valid during the call only).
   */
  onProgress?: (done: number, total: number, preview?: tf.Tensor4D) => void;
}

/**
 * The three views of one neuron (Springenberg et al. 2015 Fig. 5; Zeiler & Fergus 2014 Fig. 2; the lecture's
 * "visualize intermediate features"): its strongest position on this image, guided backprop of that neuron on the
 * image, a generated image that maximises the whole channel, and the gallery patches that excite it most.
 */
export interface NeuronViews {
  neuron: StrongestNeuron;
  /** The layer's receptive field geometry. */
  field: ReceptiveField;
  /** The neuron's whole receptive field in network-input pixels (may reach beyond the input: zero padding). */
  fieldRect: CropRect;
  /** The part of it inside the input. */
  region: CropRect;
  /**
   * Guided backprop of the neuron (model-input resolution, ≥ 0; zero outside `fieldRect`), of its value before the
   * activation function for an activation layer (as it was ranked: a saturated ReLU6 unit has zero gradient).
   */
  guided: AttributionMap;
  /** The channel visualisation (its image is the caller's to dispose). */
  visualisation: FeatureVisualization;
  /** The top gallery patches of the channel (topPatches). */
  patches: TopPatchResult;
}

/**
 * The three views of the neuron of channel `channel` that fires most on `input` (strongestNeuron): guided backprop
 * of that neuron (guidedBackprop with a neuron target), the channel visualisation (visualizeFeature, channel
 * target) and the top gallery patches (topPatches, through the extractor's cache). Errors as strongestNeuron;
 * AbortError when cancelled (nothing left allocated). The caller disposes `visualisation.image`.
 */
export async function neuronViews(net: ConvNet, extractor: FeatureExtractor, gallery: readonly GalleryEntry[], input: ModelInput, options: NeuronViewsOptions): Promise<NeuronViews> {
  const { layer, channel, k = 6, preset = 'yosinski', seed = 0, signal, onProgress } = options;
  const neuron = await strongestNeuron(net, input.tensor, layer, channel);
  const field = receptiveField(net, layer);
  // Guided backprop of the value the neuron was picked by: before the ReLU6 clip for an activation layer. The
  // strongest unit is often saturated (> 6), where ReLU6's own gradient — and so the whole map — would be zero.
  const guidedLayer = preActivationLayerOf(net, layer) ?? layer;
  const guided = await guidedBackprop(net, input, { target: { kind: 'neuron', layer: guidedLayer, channel, x: neuron.x, y: neuron.y } });
  throwIfAborted(signal);
  let total = 0;
  let done = 0;
  const visualisation = await visualizeFeature(net, { kind: 'channel', layer, channel }, {
    preset,
    seed,
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(signal ? { signal } : {}),
    onProgress: (p) => {
      total = 1 + p.steps + gallery.length;
      done = 1 + p.step;
      onProgress?.(done, total, p.image);
    },
  });
  try {
    const patches = await topPatches(extractor, gallery, {
      layer,
      channel,
      k,
      ...(signal ? { signal } : {}),
      onProgress: (n) => onProgress?.(done + n, total || 1 + gallery.length),
    });
    return { neuron, field, fieldRect: unitField(field, neuron.y, neuron.x), region: unitRegion(field, neuron.y, neuron.x), guided, visualisation, patches };
  } catch (err) {
    visualisation.image.dispose();
    throw err;
  }
}
