import { InvalidInputError } from './errors';
import type { ConvNet, LayerInfo } from './network';

/**
 * What each layer-taking method needs from its layer, checked before any work so that a layer that cannot serve the
 * method gets one line naming the layers that can, instead of an internal error deep in a pass or a map that is
 * the same everywhere (a 1×1 layer after the global pooling upsampled to 224×224).
 *
 * - Spatial uses — Grad-CAM, activation grids, top patches, feature visualisation and feature inversion — need
 *   feature maps with positions: the layers before the global pooling (ConvNet.spatialLayers()).
 * - A channel target (explain --target-layer L --channel C) can be any layer of the network: the mean of a channel
 *   is a scalar anywhere, including the pooled features and the logits.
 * - A neuron target (… --neuron X,Y) needs positions, i.e. a three-dimensional output.
 * - Filters need a convolution (its kernel is drawn).
 * The input layer that `layers` lists is the picture itself, not a layer of feature maps: every use refuses it
 * with a line that says so.
 */
export type LayerUse = 'gradcam' | 'activations' | 'top-patches' | 'feature-visualisation' | 'inversion' | 'target-channel' | 'target-neuron' | 'filters';

const USE_NAMES: Record<LayerUse, string> = {
  gradcam: 'Grad-CAM',
  activations: 'an activation grid',
  'top-patches': 'top patches',
  'feature-visualisation': 'feature visualisation',
  inversion: 'feature inversion',
  'target-channel': 'a channel target',
  'target-neuron': 'a neuron target',
  filters: 'drawing filters',
};

const SPATIAL_USES: readonly LayerUse[] = ['gradcam', 'activations', 'top-patches', 'feature-visualisation', 'inversion'];

/** The input layer (className InputLayer), if the model lists one. */
function inputLayer(net: ConvNet): LayerInfo | undefined {
  return net.layers.find((l) => l.className === 'InputLayer');
}

/** The layers that can serve `use`, in network order. */
export function layersFor(net: ConvNet, use: LayerUse): LayerInfo[] {
  if (SPATIAL_USES.includes(use)) return net.spatialLayers();
  const input = inputLayer(net);
  const layers = net.layers.filter((l) => l !== input);
  if (use === 'target-neuron') return layers.filter((l) => l.outputShape.length === 3);
  if (use === 'filters') {
    const convs = new Set(net.convLayers());
    return layers.filter((l) => convs.has(l.name));
  }
  return layers;
}

/** "conv1 … conv_pw_13_relu (81 layers)": the qualifying layers as a range, short enough for one line. */
function describe(layers: readonly LayerInfo[]): string {
  if (layers.length === 0) return 'none';
  if (layers.length <= 3) return layers.map((l) => l.name).join(', ');
  return `${layers[0]!.name} … ${layers.at(-1)!.name} (${layers.length} layers, see 'layers')`;
}

/**
 * Checks that layer `name` can serve `use`; returns its metadata. Throws UnknownLayerError for a name the model
 * does not have and InvalidInputError (one line: what the method needs, the layer's shape, which layers qualify)
 * for a layer that cannot serve it.
 */
export function checkLayerFor(net: ConvNet, name: string, use: LayerUse): LayerInfo {
  const info = net.layer(name);
  const qualifying = layersFor(net, use);
  if (qualifying.some((l) => l.name === name)) return info;
  const what = USE_NAMES[use];
  const why =
    info.className === 'InputLayer'
      ? `'${name}' is the input picture itself, not a layer of the network`
      : SPATIAL_USES.includes(use)
        ? `'${name}' [${info.outputShape.join(', ')}] has no feature maps with positions (${what} needs a layer before the global pooling)`
        : use === 'target-neuron'
          ? `'${name}' [${info.outputShape.join(', ')}] has no positions for a neuron (use --channel alone)`
          : `'${name}' is not a convolution`;
  return fail(`${why}; layers that qualify for ${what}: ${describe(qualifying)}`);
}

function fail(message: string): never {
  throw new InvalidInputError(message);
}
