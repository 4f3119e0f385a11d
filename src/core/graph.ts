import * as tf from '@tensorflow/tfjs';
import { ModelLoadError } from './errors';

/**
 * The graph compiler behind the model adapter (network.ts): turns any TensorFlow.js layers-format model — a
 * Sequential chain such as MobileNet v1, a functional graph with branches and merges (Add, Concatenate, Multiply, …),
 * or models nested inside models (a Teachable Machine export is a MobileNet body and a Dense head, each a model) —
 * into a flat list of executable nodes in topological order. BatchNormalization is folded into the Conv2D /
 * DepthwiseConv2D / SeparableConv2D / Dense before it when that layer feeds nothing else (y = γ (Wx + b − μ) / √(σ² + ε)
 * + β ⇒ W' = W·s, b' = (b − μ)·s + β, s = γ / √(σ² + ε)), and an Activation / ReLU / LeakyReLU layer that alone
 * consumes a conv's output is fused into it, so MobileNet compiles to one node per block as before. Everything a
 * tap can address keeps its Keras layer name; a layer inside a nested model keeps its own name unless it clashes,
 * then it is `outer/inner`. Unsupported layers throw ModelLoadError naming the layer and its class, at load time.
 */

/** Element-wise activations the adapter runs (Keras names). 'relu', 'relu6' and 'leakyrelu' are the rectifiers. */
export type Activation =
  | 'linear'
  | 'relu'
  | 'relu6'
  | 'leakyrelu'
  | 'elu'
  | 'selu'
  | 'sigmoid'
  | 'hard_sigmoid'
  | 'tanh'
  | 'softplus'
  | 'softsign'
  | 'swish'
  | 'hard_swish';

/** The rectifiers: guided backpropagation's rule applies to each of them. */
export const RECTIFIERS: ReadonlySet<Activation> = new Set<Activation>(['relu', 'relu6', 'leakyrelu']);

/** A compiled convolution (Conv2D, DepthwiseConv2D, either half of a SeparableConv2D), batch norm folded in. */
export interface ConvNode {
  kind: 'conv';
  depthwise: boolean;
  /**
   * Names this node answers for: the conv layer, its folded batch norm, its fused activation layer. `actName` equals
   * `convName` when the activation is the conv layer's own (its `activation` setting): its output is after it.
   */
  convName: string;
  bnName: string | undefined;
  actName: string | undefined;
  activation: Activation;
  /** LeakyReLU's slope for x < 0 (activation 'leakyrelu' only). */
  alpha: number;
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  /** Unfolded weights, only used when a tap asks for the raw conv output in front of a folded batch norm. */
  rawFilter: tf.Tensor4D;
  rawBias: tf.Tensor1D | undefined;
  /** The folded batch norm's ε (undefined without one). */
  bnEpsilon: number | undefined;
  strides: [number, number];
  pad: 'same' | 'valid';
  inputs: number[];
}

/** A compiled Dense layer (batch norm folded in), with its activation. */
export interface DenseNode {
  kind: 'dense';
  name: string;
  /** The folded batch norm's name, when one followed (the dense layer's own output is then not addressable). */
  bnName: string | undefined;
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  activation: Activation;
  alpha: number;
  inputs: number[];
}

/** Every other compiled node: input, preprocessing, pooling, padding, reshapes, merges, activations, softmax. */
export interface SimpleNode {
  kind:
    | 'input'
    | 'reverse'
    | 'identity'
    | 'softmax'
    | 'reshape'
    | 'activation'
    | 'gap'
    | 'gmp'
    | 'pool'
    | 'pad'
    | 'rescale'
    | 'affine'
    | 'add'
    | 'subtract'
    | 'multiply'
    | 'average'
    | 'maximum'
    | 'minimum'
    | 'concat';
  name: string;
  inputs: number[];
  activation?: Activation;
  alpha?: number;
  /** reshape: the output shape without the batch axis. */
  shape?: number[];
  /** pool: 'max' or 'avg', window, strides, padding. */
  pool?: { reduce: 'max' | 'avg'; size: [number, number]; strides: [number, number]; pad: 'same' | 'valid' };
  /** pad: [[top, bottom], [left, right]]. */
  padding?: [[number, number], [number, number]];
  /** rescale: x·scale + offset. */
  scale?: number;
  offset?: number;
  /** affine (a batch norm that could not be folded): x·factor + shift per channel (last axis). */
  factor?: tf.Tensor1D;
  shift?: tf.Tensor1D;
  /** concat: the axis (negative counts from the end, batch axis included). */
  axis?: number;
}

/** One node of a compiled graph, in topological order; `inputs` are indices of earlier nodes. */
export type GraphNode = ConvNode | DenseNode | SimpleNode;

/**
 * How a model wants its pixels. ConvLens works in one model space — RGB in [−1, 1] (x / 127.5 − 1 from 8-bit
 * pixels, MobileNet v1's own) — so baselines, fills, ε and every method mean the same for every model; a model that
 * wants another range or BGR gets a first node (named `preprocess`) that maps model space to its input:
 * x' = x·(hi − lo)/2 + (hi + lo)/2, channels reversed for 'bgr'. Gradients are then with respect to model space.
 */
export interface InputSpec {
  /** The model's value range for pixel values 0 … 255, e.g. [-1, 1] (MobileNet, Teachable Machine), [0, 1], [0, 255]. */
  range: readonly [number, number];
  /** Channel order the model was trained on: 'rgb' (tfjs, Keras' default) or 'bgr' (Caffe-style). */
  channels: 'rgb' | 'bgr';
}

/** Model space itself: RGB in [−1, 1] (no preprocessing node). */
export const MODEL_SPACE: InputSpec = { range: [-1, 1], channels: 'rgb' };

/** A layer a tap can address: its name, Keras class and output shape without the batch axis. */
export interface GraphLayer {
  name: string;
  className: string;
  outputShape: number[];
}

/** What compileGraph returns: nodes in topological order (node 0 is the input), names → node, layer list. */
export interface CompiledGraph {
  nodes: GraphNode[];
  /** Every addressable name (Keras layer names and the names of layers folded into a node) → node index. */
  nodeOf: Map<string, number>;
  /** Names of nested models: each addresses the output of its last layer (that node's own name differs). */
  aliases: Map<string, number>;
  /** The layers in topological order (nested models expanded; their own names alias their output layer). */
  layers: GraphLayer[];
  /** The input shape without the batch axis, [height, width, channels]. */
  inputShape: [number, number, number];
  /** The node producing the model's output. */
  output: number;
}

/** Keras layer classes the adapter compiles (for messages). */
export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Reshape',
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ZeroPadding2D',
  'Rescaling',
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Concatenate',
  'Sequential / Model (nested)',
] as const;

const MERGES: Record<string, SimpleNode['kind']> = {
  Add: 'add',
  Subtract: 'subtract',
  Multiply: 'multiply',
  Average: 'average',
  Maximum: 'maximum',
  Minimum: 'minimum',
  Concatenate: 'concat',
};

const IDENTITIES = new Set(['Dropout', 'SpatialDropout2D', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

type Config = Record<string, unknown>;

function conf(config: Config, snake: string, camel: string): unknown {
  return config[snake] ?? config[camel];
}

/** Parses a Keras activation name; throws ModelLoadError for one the adapter does not run. */
export function parseActivation(name: unknown, where: string): Activation | 'softmax' {
  const n = typeof name === 'string' ? name : 'linear';
  const aliases: Record<string, Activation | 'softmax'> = {
    linear: 'linear',
    relu: 'relu',
    relu6: 'relu6',
    elu: 'elu',
    selu: 'selu',
    sigmoid: 'sigmoid',
    hard_sigmoid: 'hard_sigmoid',
    hardSigmoid: 'hard_sigmoid',
    tanh: 'tanh',
    softplus: 'softplus',
    softsign: 'softsign',
    swish: 'swish',
    silu: 'swish',
    hard_swish: 'hard_swish',
    hardSwish: 'hard_swish',
    softmax: 'softmax',
  };
  const act = aliases[n];
  if (act === undefined) throw new ModelLoadError(`unsupported activation '${n}' (${where})`);
  return act;
}

/** A name a node answers for, with its Keras class and output shape (no batch axis). */
interface Named {
  name: string;
  className: string;
  shape: number[];
}

/** A raw node: one Keras layer call (nested models expanded), before folding. */
interface RawNode {
  name: string;
  className: string;
  layer: tf.layers.Layer | undefined;
  inputs: number[];
  outputShape: number[];
}

function isModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/** A Sequential model loaded from files has no graph until built (tfjs builds it on first use). */
function built(model: tf.LayersModel): tf.LayersModel {
  if (model instanceof tf.Sequential && model.inputLayers.length === 0 && model.layers.length > 0) model.build();
  return model;
}

function shapeOf(shape: tf.Shape | tf.Shape[], name: string): number[] {
  if (Array.isArray(shape[0])) throw new ModelLoadError(`layer '${name}' has several outputs: not supported`);
  return (shape as (number | null)[]).slice(1).map((d) => d ?? -1);
}

/** Phase 1: every layer call of the model, nested models expanded, in topological order. */
function flatten(model: tf.LayersModel): { raw: RawNode[]; output: number } {
  built(model);
  const raw: RawNode[] = [];
  const used = new Set<string>();
  const uniqueName = (name: string, prefix: string): string => {
    const n = used.has(name) ? `${prefix}/${name}` : name;
    used.add(n);
    return n;
  };
  if (model.inputLayers.length !== 1 || model.outputLayers.length !== 1) {
    throw new ModelLoadError(`the model has ${model.inputLayers.length} inputs and ${model.outputLayers.length} outputs: ConvLens explains single-input, single-output image classifiers`);
  }
  const inputLayer = model.inputLayers[0]!;
  raw.push({ name: uniqueName(inputLayer.name, ''), className: 'InputLayer', layer: undefined, inputs: [], outputShape: shapeOf(inputLayer.outputShape, inputLayer.name) });

  const expand = (container: tf.LayersModel, inputIds: number[], prefix: string): number => {
    built(container);
    const keyToId = new Map<string, number>();
    container.inputLayers.forEach((l, i) => keyToId.set(`${l.name}_0_0`, inputIds[i]!));
    const inputNames = new Set(container.inputLayers.map((l) => l.name));
    const depths = Object.keys(container.nodesByDepth)
      .map(Number)
      .sort((a, b) => b - a);
    for (const depth of depths) {
      for (const node of container.nodesByDepth[depth]!) {
        const layer = node.outboundLayer;
        if (inputNames.has(layer.name)) continue;
        const calls = layer.inboundNodes.filter((n) => container.containerNodes.has(`${layer.name}_ib-${layer.inboundNodes.indexOf(n)}`));
        if (calls.length > 1) throw new ModelLoadError(`layer '${layer.name}' is called ${calls.length} times (shared layers are not supported)`);
        const inputs = node.inboundLayers.map((l, j) => {
          const id = keyToId.get(`${l.name}_${node.nodeIndices[j]}_${node.tensorIndices[j]}`);
          if (id === undefined) throw new ModelLoadError(`layer '${layer.name}': its input '${l.name}' was not found in the graph`);
          return id;
        });
        const nodeIndex = layer.inboundNodes.indexOf(node);
        let id: number;
        if (isModel(layer)) {
          if (layer.inputLayers.length !== inputs.length || layer.outputLayers.length !== 1) {
            throw new ModelLoadError(`nested model '${layer.name}' must have one output and as many inputs as it is given`);
          }
          id = expand(layer, inputs, prefix === '' ? layer.name : `${prefix}/${layer.name}`);
          // The nested model's own name addresses its output.
          raw.push({ name: uniqueName(layer.name, prefix), className: 'Alias', layer, inputs: [id], outputShape: raw[id]!.outputShape });
          id = raw.length - 1;
        } else {
          raw.push({ name: uniqueName(layer.name, prefix), className: layer.getClassName(), layer, inputs, outputShape: shapeOf(layer.outputShape, layer.name) });
          id = raw.length - 1;
        }
        keyToId.set(`${layer.name}_${nodeIndex}_0`, id);
      }
    }
    const out = container.outputLayers[0]!;
    const id = keyToId.get(`${out.name}_${container.outputLayersNodeIndices[0]}_${container.outputLayersTensorIndices[0]}`);
    if (id === undefined) throw new ModelLoadError(`the output of '${container.name}' was not found in its graph`);
    return id;
  };
  const output = expand(model, [0], '');
  return { raw, output };
}

/**
 * One layer call of a model, nested models expanded (their own names appear as className 'Alias' calls whose
 * input is their output layer), in topological order; call 0 is the input. For graph walks outside the adapter
 * (receptive fields). `config` is the Keras layer config; `inputs` index earlier calls; shapes omit the batch axis.
 */
export interface LayerCall {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inputs: number[];
  outputShape: number[];
}

/** The layer calls of a model (see LayerCall); throws ModelLoadError for graphs the adapter cannot compile. */
export function layerCalls(model: tf.LayersModel): LayerCall[] {
  return flatten(model).raw.map((r) => ({
    name: r.name,
    className: r.className,
    config: (r.className === 'Alias' || r.layer === undefined ? {} : r.layer.getConfig()) as Record<string, unknown>,
    inputs: r.inputs,
    outputShape: r.outputShape,
  }));
}

function convNode(layer: tf.layers.Layer, name: string, depthwise: boolean, kernel: tf.Tensor, bias: tf.Tensor | undefined, config: Config, activation: Activation, inputs: number[]): ConvNode {
  const dilation = (conf(config, 'dilation_rate', 'dilationRate') ?? [1, 1]) as number[] | number;
  if ((Array.isArray(dilation) ? dilation : [dilation]).some((d) => d !== 1)) throw new ModelLoadError(`layer '${layer.name}': dilated convolutions are not supported`);
  const format = conf(config, 'data_format', 'dataFormat');
  if (format === 'channels_first' || format === 'channelsFirst') throw new ModelLoadError(`layer '${layer.name}': channels_first convolutions are not supported`);
  const s = (config['strides'] ?? [1, 1]) as [number, number] | number;
  const strides: [number, number] = Array.isArray(s) ? [s[0], s[1]] : [s, s];
  const pad = (config['padding'] ?? 'valid') as 'same' | 'valid';
  if (pad !== 'same' && pad !== 'valid') throw new ModelLoadError(`layer '${layer.name}': padding '${String(pad)}' is not supported`);
  const rawFilter = tf.keep(kernel.clone()) as tf.Tensor4D;
  const rawBias = bias === undefined ? undefined : (tf.keep(bias.clone()) as tf.Tensor1D);
  const channels = depthwise ? rawFilter.shape[2] * rawFilter.shape[3] : rawFilter.shape[3];
  return {
    kind: 'conv',
    depthwise,
    convName: name,
    bnName: undefined,
    bnEpsilon: undefined,
    actName: undefined,
    activation,
    alpha: 0,
    filter: rawFilter,
    bias: rawBias ?? (tf.keep(tf.zeros([channels])) as tf.Tensor1D),
    rawFilter,
    rawBias,
    strides,
    pad,
    inputs,
  };
}

/** γ / √(σ² + ε) and β − μ·s of a batch norm; its axis must be the channel (last) axis. */
function batchNormScale(bn: tf.layers.Layer, rank: number): { scale: tf.Tensor1D; mean: tf.Tensor1D; beta: tf.Tensor1D; epsilon: number } {
  const config = bn.getConfig() as Config;
  const axis = (config['axis'] as number | undefined) ?? -1;
  if (axis !== -1 && axis !== rank) throw new ModelLoadError(`batch norm '${bn.name}' normalises axis ${axis}: only the channel (last) axis is supported`);
  const epsilon = (config['epsilon'] as number | undefined) ?? 1e-3;
  const byName = new Map(bn.weights.map((w, k) => [w.name.split('/').pop()!.replace(/_\d+$/, ''), bn.getWeights()[k]!]));
  const mean = byName.get('moving_mean');
  const variance = byName.get('moving_variance');
  if (!mean || !variance) throw new ModelLoadError(`batch norm '${bn.name}' lacks its moving statistics`);
  const channels = mean.shape[0]!;
  return tf.tidy(() => {
    const gamma = byName.get('gamma') ?? tf.ones([channels]);
    const beta = byName.get('beta') ?? tf.zeros([channels]);
    const scale = tf.div(gamma, tf.sqrt(tf.add(variance, epsilon))) as tf.Tensor1D;
    return { scale: tf.keep(scale), mean: tf.keep(mean.clone() as tf.Tensor1D), beta: tf.keep(beta.clone() as tf.Tensor1D), epsilon };
  });
}

/**
 * Folds a batch norm into a conv node: W' = W·s, b' = (b − μ)·s + β with s = γ / √(σ² + ε), the scale applying per
 * output channel (the last kernel axis for Conv2D, the input-channel axis for depthwise).
 */
function foldIntoConv(node: ConvNode, bn: tf.layers.Layer, bnName: string): void {
  const { scale, mean, beta, epsilon } = batchNormScale(bn, 3);
  const [filter, bias] = tf.tidy(() => {
    const f = node.depthwise
      ? tf.mul(node.rawFilter, tf.reshape(scale, [1, 1, node.rawFilter.shape[2], node.rawFilter.shape[3]]))
      : tf.mul(node.rawFilter, scale);
    const b = tf.add(tf.mul(tf.sub(node.rawBias ?? tf.zerosLike(mean), mean), scale), beta);
    return [tf.keep(f as tf.Tensor4D), tf.keep(b as tf.Tensor1D)];
  });
  tf.dispose([scale, mean, beta]);
  if (node.bias !== node.rawBias) node.bias.dispose();
  node.filter = filter!;
  node.bias = bias!;
  node.bnName = bnName;
  node.bnEpsilon = epsilon;
}

function rectifierOf(raw: RawNode): { activation: Activation; alpha: number } | 'softmax' | undefined {
  const config = raw.layer?.getConfig() as Config | undefined;
  if (config === undefined) return undefined;
  switch (raw.className) {
    case 'Activation':
      return activationSpec(parseActivation(config['activation'], `layer '${raw.name}'`));
    case 'ReLU': {
      const max = conf(config, 'max_value', 'maxValue') as number | null | undefined;
      const slope = (conf(config, 'negative_slope', 'negativeSlope') as number | undefined) ?? 0;
      const threshold = (config['threshold'] as number | undefined) ?? 0;
      if (slope !== 0 || threshold !== 0 || (max != null && max !== 6)) {
        throw new ModelLoadError(`layer '${raw.name}': ReLU with max_value ${String(max)}, negative_slope ${slope}, threshold ${threshold} is not supported (ReLU and ReLU6 are)`);
      }
      return { activation: max === 6 ? 'relu6' : 'relu', alpha: 0 };
    }
    case 'LeakyReLU':
      return { activation: 'leakyrelu', alpha: (config['alpha'] as number | undefined) ?? 0.3 };
    case 'Softmax':
      return 'softmax';
    default:
      return undefined;
  }
}

function activationSpec(act: Activation | 'softmax'): { activation: Activation; alpha: number } | 'softmax' {
  return act === 'softmax' ? act : { activation: act, alpha: 0 };
}

/**
 * Compiles a layers model into executable nodes (see the module comment). The caller owns the weight tensors of
 * the returned nodes (disposeGraph). Throws ModelLoadError for unsupported layers or graphs.
 */
export function compileGraph(model: tf.LayersModel, inputSpec: InputSpec = MODEL_SPACE): CompiledGraph {
  const [lo, hi] = inputSpec.range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new ModelLoadError(`input range [${lo}, ${hi}] is not a range (need low < high)`);
  const { raw, output: rawOutput } = flatten(model);
  const consumers = raw.map(() => 0);
  raw.forEach((r) => r.inputs.forEach((i) => consumers[i]!++));
  consumers[rawOutput]!++;
  const only = (id: number): RawNode | undefined => (consumers[id] === 1 ? raw.find((r) => r.inputs.length === 1 && r.inputs[0] === id) : undefined);

  const nodes: GraphNode[] = [];
  const nodeOf = new Map<string, number>();
  const layers: GraphLayer[] = [];
  /** raw index → the node producing that raw node's output. */
  const at = new Map<number, number>();
  const folded = new Set<number>();
  const aliases = new Map<string, number>();
  const entry = (r: RawNode): Named => ({ name: r.name, className: r.className, shape: r.outputShape });
  const add = (node: GraphNode, names: Named[]): number => {
    nodes.push(node);
    const id = nodes.length - 1;
    for (const { name, className, shape } of names) {
      nodeOf.set(name, id);
      layers.push({ name, className, outputShape: shape });
    }
    return id;
  };
  const input = raw[0]!.outputShape;
  if (input.length !== 3 || input.some((d) => d <= 0)) throw new ModelLoadError(`the model's input is [${input.join(', ')}]: ConvLens needs an image input [height, width, channels]`);
  if (input[2] !== 3) throw new ModelLoadError(`the model's input has ${input[2]} channels: ConvLens needs RGB (3)`);
  if (input[0] !== input[1]) throw new ModelLoadError(`the model's input is ${input[0]}×${input[1]}: ConvLens needs a square input`);

  try {
    raw.forEach((r, k) => {
      if (folded.has(k)) return;
      const inputs = r.inputs.map((i) => at.get(i)!);
      const config = (r.layer?.getConfig() ?? {}) as Config;
      const where = `layer '${r.name}'`;
      const simple = (kind: SimpleNode['kind'], extra: Partial<SimpleNode> = {}): void => {
        at.set(k, add({ kind, name: r.name, inputs, ...extra }, [entry(r)]));
      };
      if (k === 0) {
        let id = add({ kind: 'input', name: r.name, inputs: [] }, [entry(r)]);
        if (lo !== -1 || hi !== 1) {
          const scaled = { kind: 'rescale' as const, name: 'preprocess', inputs: [id], scale: (hi - lo) / 2, offset: (hi + lo) / 2 };
          id = add(scaled, inputSpec.channels === 'bgr' ? [] : [{ name: 'preprocess', className: 'Preprocess', shape: r.outputShape }]);
        }
        if (inputSpec.channels === 'bgr') id = add({ kind: 'reverse', name: 'preprocess', inputs: [id] }, [{ name: 'preprocess', className: 'Preprocess', shape: r.outputShape }]);
        at.set(k, id);
        return;
      }
      switch (r.className) {
        case 'Conv2D':
        case 'DepthwiseConv2D':
        case 'SeparableConv2D': {
          const weights = r.layer!.getWeights();
          const useBias = conf(config, 'use_bias', 'useBias') !== false;
          const act = parseActivation(config['activation'], where);
          const names: Named[] = [entry(r)];
          let node: ConvNode;
          if (r.className === 'SeparableConv2D') {
            const [depthKernel, pointKernel, bias] = weights;
            const depth = convNode(r.layer!, `${r.name}/depthwise`, true, depthKernel!, undefined, config, 'linear', inputs);
            const channels = depthKernel!.shape[2]! * depthKernel!.shape[3]!;
            const depthId = add(depth, [{ name: depth.convName, className: 'SeparableConv2D/depthwise', shape: [...r.outputShape.slice(0, -1), channels] }]);
            node = convNode(r.layer!, r.name, false, pointKernel!, useBias ? bias : undefined, { ...config, strides: [1, 1], padding: 'valid' }, 'linear', [depthId]);
          } else {
            node = convNode(r.layer!, r.name, r.className === 'DepthwiseConv2D', weights[0]!, useBias ? weights[1] : undefined, config, 'linear', inputs);
          }
          let last = k;
          if (act === 'softmax') {
            // Softmax inside a conv layer: the conv's linear output is the logits, a softmax node the layer's output.
            node.convName = `${r.name}/logits`;
            const id = add(node, [{ name: node.convName, className: `${r.className}/logits`, shape: r.outputShape }]);
            at.set(k, add({ kind: 'softmax', name: r.name, inputs: [id] }, [entry(r)]));
            return;
          }
          node.activation = act;
          // An activation of the conv layer's own: the layer's output (its name) is after it.
          if (act !== 'linear') node.actName = node.convName;
          const bn = only(last);
          if (bn?.className === 'BatchNormalization' && act === 'linear') {
            const bnIndex = raw.indexOf(bn);
            foldIntoConv(node, bn.layer!, bn.name);
            folded.add(bnIndex);
            names.push(entry(bn));
            last = bnIndex;
          }
          const next = only(last);
          const rect = next === undefined ? undefined : rectifierOf(next);
          if (node.activation === 'linear' && next !== undefined && rect !== undefined && rect !== 'softmax') {
            node.activation = rect.activation;
            node.alpha = rect.alpha;
            node.actName = next.name;
            const nextIndex = raw.indexOf(next);
            folded.add(nextIndex);
            names.push(entry(next));
          }
          const id = add(node, names);
          for (const n of names) at.set(raw.findIndex((x) => x.name === n.name), id);
          return;
        }
        case 'Dense': {
          const [kernel, bias] = r.layer!.getWeights();
          const useBias = conf(config, 'use_bias', 'useBias') !== false;
          const act = parseActivation(config['activation'], where);
          const units = kernel!.shape[1]!;
          const node: DenseNode = {
            kind: 'dense',
            name: r.name,
            bnName: undefined,
            kernel: tf.keep(kernel!.clone()) as tf.Tensor2D,
            bias: tf.keep(useBias && bias ? bias.clone() : tf.zeros([units])) as tf.Tensor1D,
            activation: act === 'softmax' ? 'linear' : act,
            alpha: 0,
            inputs,
          };
          if (act === 'softmax') {
            node.name = `${r.name}/logits`;
            const id = add(node, [{ name: node.name, className: 'Dense/logits', shape: r.outputShape }]);
            at.set(k, add({ kind: 'softmax', name: r.name, inputs: [id] }, [entry(r)]));
            return;
          }
          at.set(k, add(node, [entry(r)]));
          return;
        }
        case 'BatchNormalization': {
          const { scale, mean, beta } = batchNormScale(r.layer!, r.outputShape.length);
          const shift = tf.tidy(() => tf.keep(tf.sub(beta, tf.mul(mean, scale)) as tf.Tensor1D));
          tf.dispose([mean, beta]);
          simple('affine', { factor: scale, shift });
          return;
        }
        case 'Activation':
        case 'ReLU':
        case 'LeakyReLU':
        case 'Softmax': {
          const rect = rectifierOf(r)!;
          if (rect === 'softmax') {
            const axis = (config['axis'] as number | undefined) ?? -1;
            if (axis !== -1 && axis !== r.outputShape.length) throw new ModelLoadError(`${where}: softmax over axis ${axis} is not supported`);
            simple('softmax');
          } else {
            simple('activation', rect);
          }
          return;
        }
        case 'MaxPooling2D':
        case 'AveragePooling2D': {
          const size = (conf(config, 'pool_size', 'poolSize') ?? [2, 2]) as [number, number];
          const strides = (config['strides'] ?? size) as [number, number];
          const pad = (config['padding'] ?? 'valid') as 'same' | 'valid';
          simple('pool', { pool: { reduce: r.className === 'MaxPooling2D' ? 'max' : 'avg', size, strides, pad } });
          return;
        }
        case 'GlobalAveragePooling2D':
        case 'GlobalMaxPooling2D':
          if (r.outputShape.length !== 1) throw new ModelLoadError(`${where}: global pooling with keepdims is not supported`);
          simple(r.className === 'GlobalAveragePooling2D' ? 'gap' : 'gmp');
          return;
        case 'Flatten':
        case 'Reshape':
          simple('reshape', { shape: r.outputShape });
          return;
        case 'ZeroPadding2D': {
          const p = config['padding'] as number | [number, number] | [[number, number], [number, number]];
          const padding: [[number, number], [number, number]] =
            typeof p === 'number' ? [[p, p], [p, p]] : Array.isArray(p[0]) ? (p as [[number, number], [number, number]]) : [[p[0] as number, p[0] as number], [p[1] as number, p[1] as number]];
          simple('pad', { padding });
          return;
        }
        case 'Rescaling':
          simple('rescale', { scale: (config['scale'] as number | undefined) ?? 1, offset: (config['offset'] as number | undefined) ?? 0 });
          return;
        case 'Alias':
          at.set(k, inputs[0]!);
          nodeOf.set(r.name, inputs[0]!);
          aliases.set(r.name, inputs[0]!);
          layers.push({ name: r.name, className: r.layer!.getClassName(), outputShape: r.outputShape });
          return;
        default: {
          const merge = MERGES[r.className];
          if (merge !== undefined) {
            if (merge === 'concat') {
              const axis = (config['axis'] as number | undefined) ?? -1;
              simple('concat', { axis: axis === r.outputShape.length ? -1 : axis });
            } else {
              simple(merge);
            }
            return;
          }
          if (IDENTITIES.has(r.className)) {
            simple('identity');
            return;
          }
          throw new ModelLoadError(`unsupported layer class '${r.className}' (layer '${r.name}'); supported: ${SUPPORTED_LAYERS.join(', ')}`);
        }
      }
    });
  } catch (err) {
    disposeGraph(nodes);
    throw err;
  }
  return { nodes, nodeOf, aliases, layers, inputShape: [input[0]!, input[1]!, input[2]!], output: at.get(rawOutput)! };
}

/** Every weight tensor of compiled nodes (filters, biases, kernels, batch-norm factors), once each. */
export function graphTensors(nodes: readonly GraphNode[]): tf.Tensor[] {
  const out = new Set<tf.Tensor>();
  for (const node of nodes) {
    if (node.kind === 'conv') [node.filter, node.bias, node.rawFilter, node.rawBias].forEach((t) => t && out.add(t));
    else if (node.kind === 'dense') [node.kernel, node.bias].forEach((t) => out.add(t));
    else [node.factor, node.shift].forEach((t) => t && out.add(t));
  }
  return [...out];
}

/** Disposes the weight tensors of compiled nodes. */
export function disposeGraph(nodes: readonly GraphNode[]): void {
  tf.dispose(graphTensors(nodes));
}
