import type * as tf from '@tensorflow/tfjs';
import { InvalidInputError, ModelLoadError } from '../errors';
import { layerCalls } from '../graph';
import type { ConvNet } from '../network';
import type { CropRect } from '../preprocess';

/**
 * Receptive fields from the loaded architecture: each layer's kernel size, stride, dilation and padding, read
 * from the model's own layer configs and composed along the graph (Araujo et al., "Computing receptive fields of
 * convolutional neural networks", Distill 2019). Per axis, with r the size, j the jump (input pixels between
 * neighbouring units) and s the centre of unit 0:
 *   r' = r + (k − 1)·j,   j' = j·stride,   s' = s + ((k − 1)/2 − padBefore)·j
 * where padBefore is TensorFlow's 'same' padding, floor of the total, the rest going after.
 */
export interface ReceptiveField {
  layer: string;
  /** Input pixels one unit can see, [height, width]. */
  size: [number, number];
  /** Input pixels between neighbouring units, [y, x]. */
  stride: [number, number];
  /** Centre of unit (0, 0) in input pixel coordinates (pixel i has its centre at i), [y, x]. */
  offset: [number, number];
  /** The layer's map size [height, width]. */
  mapSize: [number, number];
  /** The network input size [height, width] the fields refer to. */
  inputSize: [number, number];
}

interface Axis {
  size: number;
  jump: number;
  start: number;
  extent: number;
}

/** Layer classes that keep the spatial geometry as it is (element-wise or per-channel operations). */
const PASS_THROUGH = new Set(['BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'Softmax', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Rescaling', 'Alias', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate']);

function pair(config: Record<string, unknown>, names: readonly string[], fallback: [number, number]): [number, number] {
  for (const name of names) {
    const v = config[name];
    if (typeof v === 'number') return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  }
  return fallback;
}

function step(axis: Axis, kernel: number, stride: number, dilation: number, padding: string, layer: string): Axis {
  const k = dilation * (kernel - 1) + 1;
  let out: number;
  let padBefore: number;
  if (padding === 'same') {
    out = Math.ceil(axis.extent / stride);
    padBefore = Math.floor(Math.max((out - 1) * stride + k - axis.extent, 0) / 2);
  } else if (padding === 'valid') {
    out = Math.ceil((axis.extent - k + 1) / stride);
    padBefore = 0;
  } else {
    throw new ModelLoadError(`layer '${layer}': padding '${padding}' is not supported for receptive fields`);
  }
  return { size: axis.size + (k - 1) * axis.jump, jump: axis.jump * stride, start: axis.start + ((k - 1) / 2 - padBefore) * axis.jump, extent: out };
}

/**
 * Receptive fields of every layer with a spatial output, in network order, from the model's layer configs, over
 * its whole graph (src/core/graph.ts layerCalls: branches, merges, nested models). Where branches merge (Add,
 * Concatenate, …) a unit sees the union of what its inputs see: the field is the largest along any path (the
 * branches' strides must agree). Throws ModelLoadError for layers the field cannot be followed through.
 */
export function receptiveFields(model: tf.LayersModel): ReceptiveField[] {
  const calls = layerCalls(model);
  const input = calls[0]!.outputShape;
  if (input.length !== 3 || input[0]! <= 0 || input[1]! <= 0) throw new ModelLoadError('receptive fields need a fixed-size image input [N, H, W, C]');
  const inputSize: [number, number] = [input[0]!, input[1]!];
  const axes: ({ y: Axis; x: Axis } | undefined)[] = [{ y: { size: 1, jump: 1, start: 0, extent: input[0]! }, x: { size: 1, jump: 1, start: 0, extent: input[1]! } }];
  const fields: ReceptiveField[] = [];
  for (let i = 1; i < calls.length; i++) {
    const call = calls[i]!;
    const shape = call.outputShape;
    const ins = call.inputs.map((k) => axes[k]);
    // Past the spatial part of the network (global pooling, flatten, dense) there is nothing to follow.
    if (shape.length !== 3 || ins.some((a) => a === undefined)) {
      axes.push(undefined);
      continue;
    }
    let { y, x } = widest(ins as { y: Axis; x: Axis }[], call.name);
    const config = call.config;
    const className = call.className;
    if (className === 'Conv2D' || className === 'DepthwiseConv2D' || className === 'SeparableConv2D') {
      const [kh, kw] = pair(config, ['kernelSize', 'kernel_size'], [1, 1]);
      const [sh, sw] = pair(config, ['strides'], [1, 1]);
      const [dh, dw] = pair(config, ['dilationRate', 'dilation_rate'], [1, 1]);
      const padding = String(config['padding'] ?? 'valid');
      y = step(y, kh, sh, dh, padding, call.name);
      x = step(x, kw, sw, dw, padding, call.name);
    } else if (className === 'MaxPooling2D' || className === 'AveragePooling2D') {
      const [kh, kw] = pair(config, ['poolSize', 'pool_size'], [2, 2]);
      const [sh, sw] = pair(config, ['strides'], [kh, kw]);
      const padding = String(config['padding'] ?? 'valid');
      y = step(y, kh, sh, 1, padding, call.name);
      x = step(x, kw, sw, 1, padding, call.name);
    } else if (className === 'ZeroPadding2D') {
      // padding is n, [ny, nx] or [[top, bottom], [left, right]]; only the leading side moves unit 0.
      const pad = config['padding'];
      const lead = (p: unknown): number => (typeof p === 'number' ? p : Array.isArray(p) && typeof p[0] === 'number' ? p[0] : 1);
      const top = Array.isArray(pad) ? lead(pad[0]) : lead(pad);
      const left = Array.isArray(pad) ? lead(pad[1]) : lead(pad);
      y = { ...y, start: y.start - top * y.jump, extent: shape[0] ?? y.extent };
      x = { ...x, start: x.start - left * x.jump, extent: shape[1] ?? x.extent };
    } else if (!PASS_THROUGH.has(className)) {
      throw new ModelLoadError(`cannot follow the receptive field through layer '${call.name}' (${className})`);
    }
    if (shape[0] !== y.extent || shape[1] !== x.extent) {
      throw new ModelLoadError(`layer '${call.name}': computed map ${y.extent}×${x.extent} disagrees with the model's ${shape[0]}×${shape[1]}`);
    }
    axes.push({ y, x });
    fields.push({ layer: call.name, size: [y.size, x.size], stride: [y.jump, x.jump], offset: [y.start, x.start], mapSize: [y.extent, x.extent], inputSize });
  }
  return fields;
}

/** Where branches merge: the largest field of the inputs per axis (their jumps and map sizes must agree). */
function widest(inputs: { y: Axis; x: Axis }[], layer: string): { y: Axis; x: Axis } {
  const pick = (axis: 'y' | 'x'): Axis =>
    inputs.map((a) => a[axis]).reduce((best, a) => {
      if (a.jump !== best.jump || a.extent !== best.extent) throw new ModelLoadError(`layer '${layer}' merges maps of different strides or sizes`);
      return a.size > best.size ? a : best;
    });
  return { y: pick('y'), x: pick('x') };
}

const cache = new WeakMap<ConvNet, Map<string, ReceptiveField>>();

/** The receptive field of one layer of a loaded network (UnknownLayerError for names it does not have). */
export function receptiveField(net: ConvNet, layer: string): ReceptiveField {
  net.layer(layer);
  let byName = cache.get(net);
  if (!byName) {
    byName = new Map(receptiveFields(net.reference).map((f) => [f.layer, f]));
    cache.set(net, byName);
  }
  const field = byName.get(layer);
  if (!field) throw new InvalidInputError(`layer '${layer}' has no spatial map, so its units have no receptive field of their own`);
  return field;
}

/**
 * The whole input region unit (y, x) of the layer sees, in network-input pixels. Near the border it reaches
 * beyond the input (negative or too large coordinates): that part is the zero padding.
 */
export function unitField(field: ReceptiveField, y: number, x: number): CropRect {
  const [mh, mw] = field.mapSize;
  if (!Number.isInteger(y) || !Number.isInteger(x) || y < 0 || x < 0 || y >= mh || x >= mw) {
    throw new InvalidInputError(`unit (${y}, ${x}) is outside the ${mh}×${mw} map of '${field.layer}'`);
  }
  const cy = field.offset[0] + y * field.stride[0];
  const cx = field.offset[1] + x * field.stride[1];
  return { x: Math.ceil(cx - (field.size[1] - 1) / 2), y: Math.ceil(cy - (field.size[0] - 1) / 2), width: field.size[1], height: field.size[0] };
}

/** The part of unit (y, x)'s receptive field inside the input, in network-input pixels. */
export function unitRegion(field: ReceptiveField, y: number, x: number): CropRect {
  const full = unitField(field, y, x);
  const left = Math.max(0, full.x);
  const top = Math.max(0, full.y);
  const right = Math.min(field.inputSize[1], full.x + full.width);
  const bottom = Math.min(field.inputSize[0], full.y + full.height);
  return { x: left, y: top, width: right - left, height: bottom - top };
}
