import * as tf from '@tensorflow/tfjs';
import { onBackend } from './backend-switch';
import { InvalidInputError, ModelLoadError, UnknownLayerError } from './errors';
import { type Activation, type CompiledGraph, compileGraph, type ConvNode, type DenseNode, disposeGraph, type GraphNode, type InputSpec, MODEL_SPACE, RECTIFIERS, type SimpleNode } from './graph';
import { defaultLabels } from './labels';
import { relu6Grad } from './relu6-grad';

/**
 * The model adapter: one place that runs the network, once, with "taps".
 *
 * It loads any tfjs layers-format image classifier — MobileNet v1's chain, functional graphs with branches and
 * merges, nested models such as Teachable Machine exports — and compiles it (graph.ts) into nodes in topological
 * order, batch norm folded into the convolution weights. A pass computes only the nodes its results depend on.
 * Two execution modes share the nodes:
 * - inference: tf.fused conv ops with bias + relu6 in one kernel (fastest; no gradients needed);
 * - differentiable, 'fused' path (the default): each chain of conv blocks (ReLU6 or linear), pooling and reshapes
 *   between two tapped or probed layers, branches or merges is ONE custom-gradient op. Its forward pass is one
 *   fused conv + bias + ReLU6 kernel per block (nothing recorded on the tape, nothing cloned); its backward pass is, per block, the ReLU6 derivative from the saved output
 *   (one kernel, see relu6-grad.ts) and the input-gradient convolution — no filter gradient, the weights being
 *   constants. The global average pooling and reshapes of the head are part of the same op.
 * - differentiable, 'composed' path (the reference, and the one a `reluHook` runs on; every other node runs this
 *   way on either path): plain conv2d / depthwiseConv2d + bias + activation ops recorded on tfjs's tape, as
 *   tfjs-layers would differentiate them minus the filter gradients (tfjs-layers' Conv2D runs a fused conv whose gradient computes the filter gradient eagerly,
 *   ~90 % of the time of an input gradient on the CPU backend).
 * Both paths give the same gradients (tests/kernels.test.ts: relative L2 ≤ 1e-5), except at ReLU6 units whose
 * pre-activation is exactly 0 or 6 in float32 under the plain rule: the composed path takes tfjs's ClipByValue
 * gradient there (passes, 0 ≤ x ≤ 6), the fused path ReLU6's derivative on its linear range (blocks, 0 < x < 6, as
 * the guided rule on both paths does). The fused path runs about a quarter of the kernels per saliency pass
 * (bench/kernels.bench.ts), which is what a GPU pays in dispatches.
 * Every rectifier (ReLU, ReLU6, LeakyReLU) takes the guided rule when asked. A caller asks for exactly what it
 * needs — activations of named layers, logits (`conv_preds`, before the softmax), probabilities, pooled
 * features — and gets them from the same pass, together with an input gradient when it asks for one. The original LayersModel stays available as the reference implementation.
 */

/** How a model is read: its input's value range and channel order (graph.ts InputSpec), and its class labels. */
export interface ModelOptions {
  /** Default MODEL_SPACE, RGB in [−1, 1] (MobileNet v1, Teachable Machine). */
  input?: InputSpec;
  /** One label per output, in output order; default defaultLabels(numClasses) (ImageNet for 1000 outputs). */
  labels?: readonly string[];
}

export type { InputSpec } from './graph';

/**
 * One Dense layer of a head put on a network's features (ConvNet.withHead): kernel [inputs, units], bias [units],
 * and its activation ('linear' for the last layer, whose output are the logits).
 */
export interface HeadLayer {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  activation: 'linear' | 'relu';
}

/** A layer taps can address: its name, Keras class and output shape. */
export interface LayerInfo {
  name: string;
  className: string;
  /** Output shape without the batch dimension, e.g. [112, 112, 24]. */
  outputShape: number[];
}

/** What a caller wants from one pass. Layer names are those of the Keras model (see `layers`). */
export interface TapRequest {
  layers?: readonly string[];
  logits?: boolean;
  probabilities?: boolean;
  features?: boolean;
}

/** Tensors from one pass; the caller owns them (see `disposeTaps`). */
export interface Taps {
  activations: Record<string, tf.Tensor>;
  logits?: tf.Tensor2D;
  probabilities?: tf.Tensor2D;
  features?: tf.Tensor2D;
}

/**
 * How gradients pass the ReLU6 units: 'plain' is the true gradient; 'guided' lets only positive gradients through
 * units whose input was in the linear range (guided backpropagation, Springenberg et al. 2015).
 */
export type ReluMode = 'plain' | 'guided';

/** Observes the gradient leaving each ReLU6 unit during backprop (diagnostics and tests). */
export type ReluGradientHook = (layer: string, inputGradient: tf.Tensor) => void;

/**
/**
 * How a differentiable pass runs: 'fused' (one custom-gradient op per run of conv blocks, fewest kernels) or
 * 'composed' (stock ops on tfjs's tape: the reference implementation).
 */
export type GradientPath = 'fused' | 'composed';

/**
 * Options of ConvNet.gradient: the ReLU6 backward rule ('plain' true gradient by default, or 'guided'), the
 * gradient path, `from` a layer to differentiate from instead of the image, a hook on each ReLU's gradient, and
 * `probes` (block outputs whose gradients come back in probeGradients; any other layer throws InvalidInputError).
 */
export interface GradientOptions {
  relu?: ReluMode;
  /** Overrides the network's `gradientPath` for this call. A `reluHook` always runs on the composed path. */
  path?: GradientPath;
  /** Differentiate with respect to this layer's output instead of the image; `input` is then that activation. */
  from?: string;
  reluHook?: ReluGradientHook;
  /**
   * Also return ∂objective/∂(output of these layers) from the same backward pass (e.g. Grad-CAM's weights next to
   * the saliency gradient). Each must be a block output (an activation layer, or pooling/reshape).
   */
  probes?: readonly string[];
}

/**
 * What ConvNet.gradient returns, from one forward and one backward pass: the objective's value, its gradient with
 * respect to the input (or to `from`'s output), the taps asked for and the probed layers' gradients. The caller owns
 * every tensor (dispose them, and disposeTaps the taps).
 */
export interface GradientResult {
  /** Objective value (a scalar tensor). */
  value: tf.Scalar;
  /** ∂objective/∂input, shaped like the input. */
  gradient: tf.Tensor;
  /** The requested taps from the same forward pass. */
  taps: Taps;
  /** Gradients at the probed layers, by name (empty when none were asked for). */
  probeGradients: Record<string, tf.Tensor>;
}

/**
 * What `ConvNet.gradient` differentiates: a function of the tapped outputs returning a scalar. (Not to be confused
 * with the optimisation engine's `Objective` in src/core/optimize, which builds one of these per step.)
 */
export type TapObjective = (taps: Taps) => tf.Scalar;

/**
 * New weights for one convolution layer (ConvNet.withConvWeights), shaped as the Keras layer holds them: `kernel`
 * [kh, kw, in, out] for Conv2D, [kh, kw, channels, multiplier] for DepthwiseConv2D; `bias` [out] (Conv2D) or
 * [channels · multiplier] (depthwise).
 */
export interface ConvWeights {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

type Mode = 'inference' | 'differentiable';

interface ExecOptions {
  mode: Mode;
  relu: ReluMode;
  reluHook: ReluGradientHook | undefined;
  /** Differentiable mode only: run conv blocks as fused custom-gradient segments. */
  fused: boolean;
  /** Tensors kept alive for the fused backward pass; the pass disposes those that are not results. */
  retained: tf.Tensor[];
  /** Names to capture (activations). */
  want: ReadonlySet<string>;
}

type ExecMode = Pick<ExecOptions, 'mode' | 'relu' | 'reluHook' | 'fused' | 'retained'>;

const INFERENCE: ExecMode = { mode: 'inference', relu: 'plain', reluHook: undefined, fused: false, retained: [] };

/** The name of a node's output: a conv node's activation, else its batch norm, else the conv itself. */
function outputName(node: GraphNode): string {
  if (node.kind === 'conv') return node.actName ?? node.bnName ?? node.convName;
  return node.kind === 'dense' ? (node.bnName ?? node.name) : node.name;
}

/**
 * A rectifier (ReLU, ReLU6, LeakyReLU) whose backward pass follows `mode`: 'plain' is the true gradient
 * (dx = dy·f'(x)), 'guided' keeps only its positive part (Springenberg et al. 2015: max(dy·f'(x), 0), so no
 * negative gradient passes a rectifier). f'(x) is 1 on the linear range (0 < x, and x < 6 for ReLU6), 0 outside
 * (α below 0 for LeakyReLU). `hook` sees each unit's outgoing gradient. Without a hook the plain rule is tfjs's own
 * op (for ReLU6 tfjs's ClipByValue gradient, which passes at x = 0 and x = 6 exactly).
 */
function rectify(x: tf.Tensor, activation: Activation, alpha: number, mode: ReluMode, layer: string, hook: ReluGradientHook | undefined): tf.Tensor {
  const forward = (t: tf.Tensor): tf.Tensor =>
    activation === 'relu6' ? tf.clipByValue(t, 0, 6) : activation === 'relu' ? tf.relu(t) : tf.leakyRelu(t, alpha);
  if (mode === 'plain' && hook === undefined) return forward(x);
  const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input]);
    return {
      value: forward(input),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const upstream = dy as tf.Tensor;
        const xs = saved[0]!;
        const slope =
          activation === 'relu6'
            ? tf.logicalAnd(tf.greater(xs, 0), tf.less(xs, 6)).toFloat()
            : activation === 'relu'
              ? tf.greater(xs, 0).toFloat()
              : tf.where(tf.greater(xs, 0), tf.onesLike(xs), tf.fill(xs.shape, alpha));
        let dx = tf.mul(upstream, slope);
        if (mode === 'guided') dx = tf.relu(dx);
        hook?.(layer, dx);
        return dx;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}

/**
 * Applies an element-wise activation as tfjs-layers defines it (hard_sigmoid = clip(0.2x + 0.5, 0, 1), swish =
 * x·σ(x), hard_swish = x·ReLU6(x + 3)/6); rectifiers go through `rectify` (guided rule, hook).
 */
function activate(x: tf.Tensor, activation: Activation, alpha: number, opts: ExecMode, layer: string): tf.Tensor {
  if (RECTIFIERS.has(activation)) return rectify(x, activation, alpha, opts.relu, layer, opts.reluHook);
  switch (activation) {
    case 'linear':
      return x;
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hard_sigmoid':
      return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    case 'tanh':
      return tf.tanh(x);
    case 'softplus':
      return tf.softplus(x);
    case 'softsign':
      return tf.div(x, tf.add(tf.abs(x), 1));
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    default:
      return tf.div(tf.mul(x, tf.clipByValue(tf.add(x, 3), 0, 6)), 6);
  }
}

/**
 * Any TensorFlow.js layers-format image classifier compiled for ConvLens (src/core/graph.ts: sequential and
 * functional graphs with branches and merges, nested models, batch norm folded): load() a model, then run() for
 * inference taps, gradient() for a differentiable pass with taps, runFrom() to start at a layer, plus layer
 * metadata (layers, layer(), spatialLayers(), blockOutput()) and trained kernels (kernel()). Inputs are
 * [N, inputSize, inputSize, 3] in the model's own input space (MobileNet v1: 224, [−1, 1], see preprocess.ts);
 * outputs are tensors the caller owns. Throws UnknownLayerError for unknown layer names, InvalidInputError for a
 * wrongly shaped input, ModelLoadError when loading fails or a layer is unsupported. Call dispose() when done.
 */
export class ConvNet {
  readonly layers: readonly LayerInfo[];
  /** Height and width of the model's (square) input, in pixels (224 for MobileNet v1). */
  readonly inputSize: number;
  /**
   * Name of the layer whose output are the class scores before softmax: the input of the model's final softmax
   * (MobileNet v1: `conv_preds`; a Dense layer with a softmax activation: `NAME/logits`), or the model's output
   * when it has no softmax.
   */
  readonly logitsLayer: string;
  /**
   * Name of the layer whose output is the pooled feature vector (neighbours, embeddings): the last global pooling
   * before the logits (MobileNet v1: the global average pooling), else the input of the logits layer.
   */
  readonly featuresLayer: string;
  readonly numClasses: number;
  /** The model's input value range and channel order (a `preprocess` node adapts model space [−1, 1] RGB to it). */
  readonly input: InputSpec;
  /** Class labels, one per output, in output order (setLabels). */
  get labels(): readonly string[] {
    return this.classLabels;
  }
  private classLabels: readonly string[];

  /**
   * The path differentiable passes take unless a call says otherwise (`GradientOptions.path`): 'fused' (default)
   * or 'composed' (the reference; benchmarks switch it to compare).
   */
  gradientPath: GradientPath = 'fused';

  private readonly graph: CompiledGraph;
  private readonly nodes: GraphNode[];
  private readonly logitsNode: number;
  private readonly featuresNode: number;
  /** Per global-pooling node: a [1, H, W, 1] tensor of H·W, the divisor of its gradient (made once, not per pass). */
  private readonly poolDivisors = new Map<number, tf.Tensor4D>();
  /** The copy forward-only passes run on, and its backend (useForwardTwin); undefined: they run here. */
  private forward: { net: ConvNet; backend: string } | undefined;

  /**
   * Tensors this network owns when it was made by withConvWeights (the folded copies it made); undefined for a
   * loaded network, which owns every node tensor and its reference model.
   */
  private readonly owned: tf.Tensor[] | undefined;

  private constructor(readonly reference: tf.LayersModel, graph: CompiledGraph, options: ModelOptions, owned?: tf.Tensor[]) {
    this.graph = graph;
    this.input = options.input ?? MODEL_SPACE;
    this.nodes = graph.nodes;
    this.owned = owned;
    this.layers = graph.layers;
    this.inputSize = graph.inputShape[0];
    const nodes = this.nodes;
    const passThrough = (id: number): number => {
      let at = id;
      while (nodes[at]!.kind === 'reshape' || nodes[at]!.kind === 'identity') at = nodes[at]!.inputs[0]!;
      return at;
    };
    const beforeOutput = passThrough(graph.output);
    const logits = nodes[beforeOutput]!.kind === 'softmax' ? nodes[beforeOutput]!.inputs[0]! : graph.output;
    if (logits === 0) throw new ModelLoadError('the model computes nothing: its output is its input');
    let features = nodes[logits]!.inputs[0]!;
    for (let at = features; ; ) {
      const node = nodes[at]!;
      if (node.kind === 'gap' || node.kind === 'gmp') {
        features = at;
        break;
      }
      const shape = this.shapeOf(at);
      // Stop at merges and at spatial maps (a [1, 1, C] map is a vector in disguise, as MobileNet's head has).
      if (node.inputs.length !== 1 || at === 0 || (shape.length === 3 && shape[0]! * shape[1]! > 1)) break;
      at = node.inputs[0]!;
    }
    this.logitsNode = logits;
    this.featuresNode = features;
    this.logitsLayer = outputName(nodes[logits]!);
    this.featuresLayer = outputName(nodes[features]!);
    this.numClasses = this.shapeOf(logits).reduce((a, b) => a * b, 1);
    this.classLabels = defaultLabels(this.numClasses);
    if (options.labels !== undefined) this.setLabels(options.labels);
    nodes.forEach((node, i) => {
      if (node.kind !== 'gap') return;
      const shape = this.shapeOf(node.inputs[0]!);
      if (shape.length === 3) this.poolDivisors.set(i, tf.keep(tf.fill([1, shape[0]!, shape[1]!, 1], shape[0]! * shape[1]!)) as tf.Tensor4D);
    });
  }

  /**
   * Loads a layers-format model from a URL (browser) or an IOHandler (Node: see src/node/model-files). `options`
   * say how it reads pixels and names its classes (default: MobileNet's [−1, 1] RGB, ImageNet labels for 1000
   * outputs, else "class N"). Throws ModelLoadError when the files cannot be read or a layer is unsupported.
   */
  static async load(source: string | tf.io.IOHandler, options: ModelOptions = {}): Promise<ConvNet> {
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(source);
    } catch (err) {
      const where = typeof source === 'string' ? source : 'the given model files';
      throw new ModelLoadError(`could not load the model from ${where}: ${(err as Error).message}`);
    }
    return ConvNet.fromLayersModel(model, options);
  }

  /**
   * Compiles a LayersModel already in memory (built or trained in this process) and takes ownership of it:
   * dispose() disposes it. Throws ModelLoadError (the model disposed) for an unsupported layer or graph.
   */
  static fromLayersModel(model: tf.LayersModel, options: ModelOptions = {}): ConvNet {
    let graph: CompiledGraph | undefined;
    try {
      graph = compileGraph(model, options.input);
      return new ConvNet(model, graph, options);
    } catch (err) {
      if (graph) disposeGraph(graph.nodes);
      model.dispose();
      throw err;
    }
  }

  /**
   * Names the classes, one label per output in output order. Throws InvalidInputError when the count differs from
   * numClasses or a label is empty.
   */
  setLabels(labels: readonly string[]): void {
    if (labels.length !== this.numClasses) throw new InvalidInputError(`${labels.length} labels for a model with ${this.numClasses} outputs`);
    const empty = labels.findIndex((l) => l.trim() === '');
    if (empty >= 0) throw new InvalidInputError(`label ${empty} is empty`);
    this.classLabels = [...labels];
  }

  /** Layer metadata by name; throws UnknownLayerError with suggestions. */
  layer(name: string): LayerInfo {
    const info = this.layers.find((l) => l.name === name);
    if (!info) throw new UnknownLayerError(name, this.layers.map((l) => l.name));
    return info;
  }

  /** Layers with spatial feature maps (before the global pooling), in network order. */
  spatialLayers(): LayerInfo[] {
    const end = this.layers.findIndex((l) => l.name === this.featuresLayer);
    return this.layers.slice(0, end).filter((l) => l.outputShape.length === 3 && l.className !== 'InputLayer' && l.className !== 'Preprocess');
  }

  /** Names that taps can address (every compiled layer but the input). */
  hasLayer(name: string): boolean {
    const id = this.graph.nodeOf.get(name);
    return id !== undefined && id !== 0;
  }

  /**
   * Fast forward pass without gradients (fused kernels). With a forward twin (useForwardTwin) it runs there, on the
   * twin's backend, and the taps live on that backend.
   */
  run(input: tf.Tensor4D, request: TapRequest): Taps {
    this.checkInput(input, undefined);
    const twin = this.forward;
    if (twin) return onBackend(twin.backend, () => twin.net.run(input, request));
    return tidyTaps(() => this.execute(input, request, INFERENCE));
  }

  /** Forward pass from the output of layer `from` onwards (its activation is `activation`); on the twin if any. */
  runFrom(from: string, activation: tf.Tensor4D, request: TapRequest): Taps {
    this.checkInput(activation, from);
    const twin = this.forward;
    if (twin) return onBackend(twin.backend, () => twin.net.runFrom(from, activation, request));
    return tidyTaps(() => this.execute(activation, request, INFERENCE, from));
  }

  /**
   * From now on, forward-only passes (run, runFrom — the activations view, occlusion and masking batches, gallery
   * features, classification) run on `twin`, the same model loaded while `backend` was the active backend, while
   * differentiable passes (gradient) stay on this network's backend. For CPU kiosks: forward work on WASM (XNNPACK
   * with SIMD, and threads where the page is cross-origin isolated), gradients on the CPU backend, which has every
   * gradient kernel (issue 13, goal 5). Inputs made on this backend are moved to the twin's by tfjs on use.
   * The twin becomes this network's: dispose() disposes it. Throws InvalidInputError when the twin is another
   * model (different layers) or is this network; `undefined` runs forward passes here again (disposing the twin).
   */
  useForwardTwin(twin: ConvNet | undefined, backend = ''): void {
    if (twin) {
      if (twin === this) throw new InvalidInputError('a network cannot be its own forward twin');
      const names = (n: ConvNet): string => n.layers.map((l) => `${l.name}:${l.outputShape.join('x')}`).join(',');
      if (names(twin) !== names(this)) throw new InvalidInputError('the forward twin is a different model (its layers differ)');
    }
    this.forward?.net.dispose();
    this.forward = twin ? { net: twin, backend } : undefined;
  }

  /**
   * Runs `fn` — synchronous tensor work around forward passes, such as building a batch of masked copies — on the
   * backend forward passes run on: the twin's (useForwardTwin), else the active one. Tensors `fn` makes live there,
   * and inputs it uses are moved there on first use (for a twin on WASM: the masking ops run on XNNPACK instead of
   * the CPU backend's JavaScript loops, which cost more than the forward pass itself). `fn` may not await.
   */
  onForwardBackend<T>(fn: () => T): T {
    const twin = this.forward;
    return twin ? onBackend(twin.backend, fn) : fn();
  }

  /** The backend forward-only passes run on: the twin's (useForwardTwin), else undefined (this network's own). */
  get forwardBackend(): string | undefined {
    return this.forward?.backend;
  }

  /**
   * One differentiable pass: returns the requested taps, the objective's value and its gradient with respect to
   * the input (or to layer `options.from`'s output), all from the same forward pass.
   */
  gradient(input: tf.Tensor4D, request: TapRequest, objective: TapObjective, options: GradientOptions = {}): GradientResult {
    this.checkInput(input, options.from);
    const probeNames = options.probes ?? [];
    for (const name of probeNames) {
      if (this.blockOutput(name) !== name) throw new InvalidInputError(`cannot probe '${name}': use the block output '${this.blockOutput(name)}'`);
    }
    // A probe is a zero tensor added to a layer's output: the gradient with respect to it is the gradient at that
    // layer. (The fused path does not add it: the probe is an input of the op that makes the layer's output, and
    // gets the gradient arriving there.)
    const probeZeros = probeNames.map((name) => tf.zeros([input.shape[0], ...this.layer(name).outputShape]));
    const exec: ExecMode = {
      mode: 'differentiable',
      relu: options.relu ?? 'plain',
      reluHook: options.reluHook,
      fused: (options.path ?? this.gradientPath) === 'fused' && options.reluHook === undefined,
      retained: [],
    };
    let taps: Taps | undefined;
    const f = (x: tf.Tensor, ...probes: tf.Tensor[]): tf.Scalar => {
      const out = this.execute(x as tf.Tensor4D, request, exec, options.from, new Map(probeNames.map((name, i) => [name, probes[i]!])));
      const value = objective(out);
      // Keep the taps alive past the gradient scope: they are results, not intermediates.
      taps = keepTaps(out);
      return value;
    };
    let result: GradientResult | undefined;
    try {
      const { value, grads } = tf.valueAndGrads(f as (...xs: tf.Tensor[]) => tf.Scalar)([input, ...probeZeros]);
      const probeGradients: Record<string, tf.Tensor> = {};
      probeNames.forEach((name, i) => (probeGradients[name] = grads[i + 1]!));
      result = { value, gradient: grads[0]!, taps: taps!, probeGradients };
      return result;
    } finally {
      tf.dispose(probeZeros);
      // What the fused path kept for its backward pass goes, unless it is a tap handed to the caller.
      const results = new Set<tf.Tensor>(result ? tapTensors(result.taps) : []);
      tf.dispose(exec.retained.filter((t) => !results.has(t)));
      if (!result && taps) disposeTaps(taps);
    }
  }

  /**
   * The learned kernel of a convolution layer as trained (before batch-norm folding), [kh, kw, in, out] or, for
   * depthwise layers, [kh, kw, channels, multiplier]. A copy: the caller disposes it.
   */
  kernel(name: string): { kernel: tf.Tensor4D; depthwise: boolean } {
    const stage = this.convStage(name);
    return { kernel: stage.rawFilter.clone(), depthwise: stage.depthwise };
  }

  /** The node of convolution layer `name`; UnknownLayerError / InvalidInputError when it is none. */
  private convStage(name: string): ConvNode {
    const node = this.nodes[this.graph.nodeOf.get(name) ?? -1];
    if (node?.kind !== 'conv' || node.convName !== name) {
      this.layer(name); // throws UnknownLayerError for names that do not exist
      const convs = this.convLayers();
      throw new InvalidInputError(`layer '${name}' is not a convolution; conv layers are ${convs[0]}, ${convs[1]}, … ${convs.at(-1)}`);
    }
    return node;
  }

  /**
   * The output of the block a layer belongs to: a conv or batch-norm layer whose activation is fused into the same
   * node resolves to that activation layer (the only place a pass can start from); other layers to themselves.
   */
  blockOutput(name: string): string {
    this.layer(name);
    if (this.graph.aliases.has(name)) return name;
    const node = this.nodes[this.graph.nodeOf.get(name) ?? -1];
    return node === undefined ? name : outputName(node);
  }

  /** Names of the convolution layers, in order. */
  convLayers(): string[] {
    return this.nodes.filter((n): n is ConvNode => n.kind === 'conv').map((n) => n.convName);
  }

  /**
   * A new network equal to this one except for the convolution layers in `replacements` (conv layer name →
   * ConvWeights), whose kernel and bias are replaced and whose batch norm, if any, is reset to a freshly
   * initialised Keras BatchNormalization (γ = 1, β = 0, moving mean 0, moving variance 1, the layer's own ε) before
   * folding. This network is not touched: the copy shares every unchanged node's tensors, has no forward twin (its
   * forward passes run on the active backend) and takes this network's gradientPath. It does not take ownership of
   * the given tensors (the caller disposes them, after disposing the copy, which frees only what it made itself).
   * Its `reference` is this network's trained LayersModel, so it is no reference for the replaced layers, and
   * `kernel(name)` returns the replacement kernel. For weight-randomisation tests (src/core/sanity.ts). Throws
   * UnknownLayerError / InvalidInputError for a name that is not a convolution layer, InvalidInputError for
   * weights of the wrong shape.
   */
  withConvWeights(replacements: ReadonlyMap<string, ConvWeights>): ConvNet {
    for (const [name, w] of replacements) {
      const node = this.convStage(name);
      if (!sameShape(w.kernel.shape, node.rawFilter.shape) || !sameShape(w.bias.shape, node.bias.shape)) {
        throw new InvalidInputError(
          `layer '${name}': expected a kernel [${node.rawFilter.shape.join(', ')}] and a bias [${node.bias.shape.join(', ')}], ` +
            `got [${w.kernel.shape.join(', ')}] and [${w.bias.shape.join(', ')}]`,
        );
      }
    }
    const owned: tf.Tensor[] = [];
    const nodes = this.nodes.map((node): GraphNode => {
      if (node.kind !== 'conv') return node;
      const w = replacements.get(node.convName);
      if (w === undefined) return node;
      if (node.bnEpsilon === undefined) return { ...node, filter: w.kernel, bias: w.bias, rawFilter: w.kernel, rawBias: w.bias };
      // A fresh batch norm folds to W' = W·s, b' = b·s with s = 1 / √(1 + ε) (μ = 0, σ² = 1, γ = 1, β = 0).
      const scale = 1 / Math.sqrt(1 + node.bnEpsilon);
      const [filter, bias] = tf.tidy(() => [tf.keep(tf.mul(w.kernel, scale) as tf.Tensor4D), tf.keep(tf.mul(w.bias, scale) as tf.Tensor1D)]);
      owned.push(filter!, bias!);
      return { ...node, filter: filter!, bias: bias!, rawFilter: w.kernel, rawBias: w.bias };
    });
    const copy = new ConvNet(this.reference, { ...this.graph, nodes }, { input: this.input, labels: this.classLabels }, owned);
    copy.gradientPath = this.gradientPath;
    return copy;
  }

  /**
   * A new network that classifies with `head` on this network's pooled features (featuresLayer, [N, D]): the Dense
   * layers applied in turn, the last one's output the new logits (numClasses = its units; softmax of them the
   * probabilities), named `head_1`, `head_2`, … and labelled `labels`. For a head trained on the features —
   * Teach mode (src/core/teach.ts), the transfer learning a Teachable Machine export also does. Everything up to the
   * features is this network's, shared (so every method explains the new classifier through the same body); the
   * copy has no forward twin, takes this network's gradientPath and owns only copies of the head's weights.
   * Its `reference` is this network's LayersModel, no reference for the head. Throws InvalidInputError when the
   * head is empty, its shapes do not chain from the features' size, the last layer is not linear, or `labels` does
   * not name each output.
   */
  withHead(head: readonly HeadLayer[], labels: readonly string[]): ConvNet {
    if (head.length === 0) throw new InvalidInputError('a head needs at least one Dense layer');
    let size = this.shapeOf(this.featuresNode).reduce((a, b) => a * b, 1);
    head.forEach((layer, i) => {
      const [rows, units] = layer.kernel.shape;
      if (layer.kernel.rank !== 2 || rows !== size || layer.bias.rank !== 1 || layer.bias.shape[0] !== units) {
        throw new InvalidInputError(`head layer ${i + 1}: expected a kernel [${size}, units] and a bias [units], got [${layer.kernel.shape.join(', ')}] and [${layer.bias.shape.join(', ')}]`);
      }
      size = units;
    });
    if (head.at(-1)!.activation !== 'linear') throw new InvalidInputError('the last head layer gives the logits: its activation must be linear');
    if (labels.length !== size) throw new InvalidInputError(`${labels.length} labels for a head with ${size} outputs`);
    const nodes = [...this.nodes];
    const nodeOf = new Map(this.graph.nodeOf);
    const layers = [...this.graph.layers];
    const owned: tf.Tensor[] = [];
    let previous = this.featuresNode;
    head.forEach((layer, i) => {
      const name = `head_${i + 1}`;
      const kernel = tf.keep(layer.kernel.clone());
      const bias = tf.keep(layer.bias.clone());
      owned.push(kernel, bias);
      nodes.push({ kind: 'dense', name, bnName: undefined, kernel, bias, activation: layer.activation, alpha: 0, inputs: [previous] });
      previous = nodes.length - 1;
      nodeOf.set(name, previous);
      layers.push({ name, className: 'Dense', outputShape: [layer.kernel.shape[1]] });
    });
    const copy = new ConvNet(this.reference, { ...this.graph, nodes, nodeOf, layers, output: previous }, { input: this.input, labels }, owned);
    copy.gradientPath = this.gradientPath;
    return copy;
  }

  dispose(): void {
    this.useForwardTwin(undefined);
    tf.dispose([...this.poolDivisors.values()]);
    if (this.owned !== undefined) {
      tf.dispose(this.owned);
      return;
    }
    disposeGraph(this.nodes);
    this.reference.dispose();
  }

  /** Output shape of node `id` without the batch axis. */
  private shapeOf(id: number): number[] {
    return this.layer(outputName(this.nodes[id]!)).outputShape;
  }

  private nodeIndex(name: string): number {
    const id = this.graph.nodeOf.get(name);
    if (id === undefined) throw new UnknownLayerError(name, this.layers.map((l) => l.name));
    return id;
  }

  private checkInput(input: tf.Tensor, from: string | undefined): void {
    let expected: number[];
    if (from === undefined) {
      expected = [...this.graph.inputShape];
    } else {
      this.nodeIndex(from);
      expected = this.layer(from).outputShape;
    }
    const got = input.shape.slice(1);
    if (input.rank !== expected.length + 1 || got.some((d, i) => d !== expected[i])) {
      throw new InvalidInputError(`expected a batch of shape [N, ${expected.join(', ')}], got [${input.shape.join(', ')}]`);
    }
  }

  private execute(input: tf.Tensor4D, request: TapRequest, mode: ExecMode, from?: string, probes?: ReadonlyMap<string, tf.Tensor>): Taps {
    const nodes = this.nodes;
    const want = new Set(request.layers ?? []);
    const targets = new Set<number>();
    for (const name of want) {
      const id = this.nodeIndex(name);
      if (id === 0) throw new InvalidInputError(`layer '${name}' cannot be tapped (it is the input)`);
      targets.add(id);
    }
    const needLogits = request.logits === true || request.probabilities === true;
    if (needLogits) targets.add(this.logitsNode);
    if (request.features) targets.add(this.featuresNode);
    for (const name of probes?.keys() ?? []) targets.add(this.nodeIndex(name));
    const start = from === undefined ? 0 : this.nodeIndex(from);
    if (from !== undefined && !this.graph.aliases.has(from) && outputName(nodes[start]!) !== from) {
      // Starting inside a fused conv node (e.g. from its batch norm) means its activation is still to come.
      throw new InvalidInputError(`cannot start a pass at '${from}': use the activation layer '${outputName(nodes[start]!)}'`);
    }
    // The nodes the results depend on, back to the start; a path around the start cannot be computed.
    const needed = new Set<number>();
    const stack = [...targets];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (needed.has(id)) continue;
      needed.add(id);
      if (id === start) continue;
      if (id === 0) throw new InvalidInputError(`cannot start a pass at '${from}': what was asked for also depends on layers before it or on a branch around it`);
      stack.push(...nodes[id]!.inputs);
    }
    const uses = new Map<number, number>();
    for (const id of needed) if (id !== start) for (const i of nodes[id]!.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
    const order = [...needed].filter((id) => id !== start).sort((a, b) => a - b);
    const values = new Map<number, tf.Tensor>([[start, input]]);
    const captured: Record<string, tf.Tensor> = {};
    const opts: ExecOptions = { ...mode, want };
    // A fused segment ends where a result is read (a tapped or probed layer, the features, the logits) or where a
    // node feeds more than one other.
    const isBoundary = (id: number): boolean => targets.has(id) || uses.get(id) !== 1;
    for (let k = 0; k < order.length; k++) {
      const id = order[k]!;
      const node = nodes[id]!;
      const output = outputName(node);
      if (opts.mode === 'differentiable' && opts.fused && this.fusable(id, want)) {
        const chain = [id];
        for (;;) {
          const last = chain.at(-1)!;
          const next = order[k + chain.length];
          if (isBoundary(last) || next === undefined || nodes[next]!.inputs.length !== 1 || nodes[next]!.inputs[0] !== last || !this.fusable(next, want)) break;
          chain.push(next);
        }
        const last = chain.at(-1)!;
        const lastOutput = outputName(nodes[last]!);
        // The logits leave the segment already flat ([N, classes]) unless the layer itself is tapped.
        const flatten = last === this.logitsNode && needLogits && !want.has(lastOutput);
        const x = this.runSegment(chain, values.get(node.inputs[0]!)!, probes?.get(lastOutput), flatten, opts);
        values.set(last, x);
        if (want.has(lastOutput)) captured[lastOutput] = x;
        k += chain.length - 1;
        continue;
      }
      const xs = node.inputs.map((i) => values.get(i)!);
      let x =
        node.kind === 'conv' ? this.runConv(node, xs[0]!, opts, captured) : node.kind === 'dense' ? runDense(node, xs[0]!, opts) : runSimple(node, xs, opts);
      const probe = probes?.get(output);
      if (probe) x = tf.add(x, probe);
      if ((node.kind !== 'conv' || probe) && want.has(output)) captured[output] = x;
      values.set(id, x);
    }
    for (const name of want) {
      // Names of nested models address their last layer's output.
      if (captured[name] === undefined && this.graph.aliases.has(name)) captured[name] = values.get(this.graph.aliases.get(name)!)!;
    }
    const taps: Taps = { activations: captured };
    if (needLogits) {
      const logits = values.get(this.logitsNode)!;
      const flat = (logits.rank === 2 ? logits : tf.reshape(logits, [logits.shape[0]!, this.numClasses])) as tf.Tensor2D;
      if (request.logits) taps.logits = flat;
      if (request.probabilities) taps.probabilities = tf.softmax(flat);
    }
    if (request.features) {
      const features = values.get(this.featuresNode)!;
      taps.features = (features.rank === 2 ? features : tf.reshape(features, [features.shape[0]!, -1])) as tf.Tensor2D;
    }
    return taps;
  }

  /** Whether node i can run inside a fused segment: conv blocks with ReLU6 or no activation, pooling, reshapes. */
  private fusable(i: number, want: ReadonlySet<string>): boolean {
    const node = this.nodes[i];
    if (node === undefined) return false;
    if (node.kind === 'gap') return this.poolDivisors.has(i);
    if (node.kind === 'reshape' || node.kind === 'identity') return true;
    if (node.kind !== 'conv' || (node.activation !== 'relu6' && node.activation !== 'linear')) return false;
    // Taps of the raw conv output or of the pre-activation need the unfused computation.
    if (node.bnName !== undefined) return !want.has(node.convName) && !want.has(node.bnName);
    return node.activation === 'linear' || node.actName === node.convName || !want.has(node.convName);
  }

  /**
   * The chain of nodes `chain` (each the only input of the next) as ONE custom-gradient op with input x (and the
   * probe of the last node's output, when there is one). Forward: one fused conv + bias + activation kernel per conv block, one Mean per pooling; the
   * tape records only this op. Backward: per conv block the ReLU6 derivative from its saved output (one kernel)
   * and the input-gradient convolution; per pooling one division. The probe's gradient is the gradient arriving
   * at the output, as for `x + probe` on the composed path.
   */
  private runSegment(chain: readonly number[], x: tf.Tensor, probe: tf.Tensor | undefined, flatten: boolean, opts: ExecOptions): tf.Tensor {
    type Step =
      | { kind: 'conv'; stage: ConvNode; inShape: [number, number, number, number]; y: tf.Tensor | undefined }
      | { kind: 'pool'; divisor: tf.Tensor4D }
      | { kind: 'reshape'; shape: number[] };
    const guided = opts.relu === 'guided';
    const retained = opts.retained;
    const steps: Step[] = [];
    const forward = (input: tf.Tensor): tf.Tensor => {
      // `t` is the tensor as computed, `shape` the stage output's shape as the Keras model has it; they differ only
      // in size-1 axes after the pooling (Mean keeps its axes, so the [N, 1, 1, C] reshape of the head is free).
      let t = input;
      let shape = input.shape;
      const materialise = (): void => {
        if (sameShape(t.shape, shape)) return;
        steps.push({ kind: 'reshape', shape: t.shape });
        t = tf.reshape(t, shape);
      };
      for (const i of chain) {
        const stage = this.nodes[i]!;
        if (stage.kind === 'conv') {
          materialise();
          const inShape = t.shape as [number, number, number, number];
          t = fusedConv(stage, t as tf.Tensor4D);
          const y = stage.activation === 'linear' ? undefined : tf.keep(t);
          if (y) retained.push(y);
          steps.push({ kind: 'conv', stage, inShape, y });
          shape = t.shape;
        } else if (stage.kind === 'gap') {
          materialise();
          t = tf.mean(t, [1, 2], true);
          steps.push({ kind: 'pool', divisor: this.poolDivisors.get(i)! });
          shape = [t.shape[0]!, t.shape[3]!];
        } else if (stage.kind === 'reshape') {
          shape = [t.shape[0]!, ...stage.shape!];
        }
      }
      if (flatten) shape = [t.shape[0]!, this.numClasses];
      materialise();
      if (!retained.includes(t)) retained.push(tf.keep(t));
      return t;
    };
    const backward = (dy: tf.Tensor): tf.Tensor => {
      let g = dy;
      const step = (next: tf.Tensor): void => {
        if (g !== dy) g.dispose();
        g = next;
      };
      for (let k = steps.length - 1; k >= 0; k--) {
        const s = steps[k]!;
        if (s.kind === 'reshape') {
          step(tf.reshape(g, s.shape));
        } else if (s.kind === 'pool') {
          step(tf.div(g, s.divisor));
        } else {
          if (s.y) {
            step(relu6Grad(g, s.y, guided));
            // A block's output inside the segment is nobody else's: free it as soon as its mask is applied.
            if (k < steps.length - 1) s.y.dispose();
          }
          step(inputGradient(s.stage, g, s.inShape));
        }
      }
      return g === dy ? dy.clone() : g;
    };
    const op = tf.customGrad(((...args: unknown[]) => {
      const input = args[0] as tf.Tensor;
      return {
        value: forward(input),
        gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
          const upstream = dy as tf.Tensor;
          const dx = backward(upstream);
          return probe ? [dx, upstream] : [dx];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return probe ? op(x, probe) : op(x);
  }

  private runConv(stage: ConvNode, x: tf.Tensor, opts: ExecOptions, captured: Record<string, tf.Tensor>): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    if (opts.want.has(stage.convName) && stage.bnName !== undefined) {
      // The raw conv output is not part of the folded computation; compute it on its own only when tapped.
      captured[stage.convName] = conv(stage, x4, stage.rawFilter, stage.rawBias);
    }
    const needPreActivation = stage.bnName !== undefined && opts.want.has(stage.bnName);
    // Without batch norm the conv layer's own output is the pre-activation: tapping it needs the unfused ops.
    const own = stage.actName === stage.convName;
    const needRawOutput = stage.bnName === undefined && opts.want.has(stage.convName) && stage.activation !== 'linear' && !own;
    if (opts.mode === 'inference' && !needPreActivation && !needRawOutput && FUSED_ACTIVATIONS.has(stage.activation)) {
      // One fused kernel (bias and activation included), called directly: tf.fused's custom-gradient wrapper would
      // be a second kernel-profile entry per conv, and with no tape recording there is nothing for it to do.
      const activation = stage.activation as tf.fused.Activation;
      const args = { x: x4, filter: stage.filter, strides: stage.strides, pad: stage.pad, bias: stage.bias, activation, leakyreluAlpha: stage.alpha };
      const y = tf.engine().isTapeOn() ? (stage.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args)) : fusedConv(stage, x4);
      const output = stage.actName ?? (stage.bnName === undefined ? stage.convName : undefined);
      if (output !== undefined && opts.want.has(output)) captured[output] = y;
      return y;
    }
    const pre = conv(stage, x4, stage.filter, stage.bias);
    if (stage.bnName !== undefined && opts.want.has(stage.bnName)) captured[stage.bnName] = pre;
    if (stage.bnName === undefined && opts.want.has(stage.convName) && !own) captured[stage.convName] = pre;
    if (stage.activation === 'linear') return pre;
    const y = activate(pre, stage.activation, stage.alpha, opts, stage.actName ?? stage.convName);
    if (stage.actName !== undefined && opts.want.has(stage.actName)) captured[stage.actName] = y;
    return y;
  }
}

/** Activations the fused conv kernels apply themselves (tfjs's FusedConv2D / FusedDepthwiseConv2D). */
const FUSED_ACTIVATIONS: ReadonlySet<Activation> = new Set<Activation>(['linear', 'relu', 'relu6', 'leakyrelu']);

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** conv + bias + activation as one FusedConv2D / FusedDepthwiseConv2D kernel (no gradient of its own). */
function fusedConv(stage: ConvNode, x: tf.Tensor4D): tf.Tensor4D {
  // dataFormat for both kinds: tfjs-core's fused depthwise op leaves it out, which the WASM backend refuses.
  const leaky = stage.activation === 'leakyrelu' ? stage.alpha : undefined;
  const attrs = { strides: stage.strides, pad: stage.pad, dilations: [1, 1], dimRoundingMode: undefined, activation: stage.activation, leakyreluAlpha: leaky, dataFormat: 'NHWC' };
  const inputs = { x, filter: stage.filter, bias: stage.bias };
  return tf.engine().runKernel(stage.depthwise ? 'FusedDepthwiseConv2D' : 'FusedConv2D', inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** ∂/∂x of the convolution alone (the filter gradient is never computed: the weights are constants). */
function inputGradient(stage: ConvNode, dy: tf.Tensor, inputShape: [number, number, number, number]): tf.Tensor4D {
  const inputs = { dy, filter: stage.filter };
  const attrs = stage.depthwise
    ? { strides: stage.strides, dilations: [1, 1], pad: stage.pad, dimRoundingMode: undefined, inputShape }
    : { strides: stage.strides, pad: stage.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape };
  return tf.engine().runKernel(stage.depthwise ? 'DepthwiseConv2dNativeBackpropInput' : 'Conv2DBackpropInput', inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

function conv(stage: ConvNode, x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined): tf.Tensor4D {
  const y = stage.depthwise
    ? tf.depthwiseConv2d(x, filter, stage.strides, stage.pad)
    : tf.conv2d(x, filter, stage.strides, stage.pad);
  return bias === undefined ? y : tf.add(y, bias);
}

/** A Dense layer on the last axis (inputs of any rank, as Keras applies it), then its activation. */
function runDense(node: DenseNode, x: tf.Tensor, opts: ExecOptions): tf.Tensor {
  const units = node.kernel.shape[1];
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, x.shape.at(-1)!]) as tf.Tensor2D);
  let y: tf.Tensor = tf.add(tf.matMul(flat, node.kernel), node.bias);
  if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), units]);
  return activate(y, node.activation, node.alpha, opts, node.name);
}

/**
 * Average pooling with TensorFlow's 'same' padding (the mean over the window's cells inside the map), as the sum over
 * the zero-padded window divided by the number of cells inside: avgPool_valid(pad(x)) / avgPool_valid(pad(1)).
 * Same values as tf.avgPool(x, …, 'same'), but a correct gradient: tfjs 4.22's AvgPool gradient with 'same' padding
 * on the CPU backend divides border cells by the whole window (a 3×3 stride-1 pool on a 6×6 map: directional
 * derivative 3.33 where central differences give 4.14; tests/any-model.test.ts).
 */
function averagePoolSame(x: tf.Tensor4D, size: [number, number], strides: [number, number]): tf.Tensor4D {
  const [, height, width] = x.shape;
  const padding = (extent: number, k: number, s: number): [number, number] => {
    const total = Math.max((Math.ceil(extent / s) - 1) * s + k - extent, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const pads: [number, number][] = [[0, 0], padding(height, size[0], strides[0]), padding(width, size[1], strides[1]), [0, 0]];
  const sums = tf.avgPool(tf.pad(x, pads), size, strides, 'valid');
  const inside = tf.avgPool(tf.pad(tf.ones([1, height!, width!, 1]) as tf.Tensor4D, pads), size, strides, 'valid');
  return tf.div(sums, inside);
}

function runSimple(node: SimpleNode, xs: tf.Tensor[], opts: ExecOptions): tf.Tensor {
  const x = xs[0]!;
  switch (node.kind) {
    case 'input':
    case 'identity':
      return x;
    case 'reverse':
      return tf.reverse(x, -1);
    case 'gap':
      return tf.mean(x, [1, 2]);
    case 'gmp':
      return tf.max(x, [1, 2]);
    case 'softmax':
      return tf.softmax(x);
    case 'reshape':
      return tf.reshape(x, [x.shape[0]!, ...node.shape!]);
    case 'activation':
      return activate(x, node.activation!, node.alpha ?? 0, opts, node.name);
    case 'pool': {
      const p = node.pool!;
      if (p.reduce === 'max') return tf.maxPool(x as tf.Tensor4D, p.size, p.strides, p.pad);
      return p.pad === 'same' ? averagePoolSame(x as tf.Tensor4D, p.size, p.strides) : tf.avgPool(x as tf.Tensor4D, p.size, p.strides, 'valid');
    }
    case 'pad': {
      const [[top, bottom], [left, right]] = node.padding!;
      return tf.pad(x, [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ]);
    }
    case 'rescale':
      return tf.add(tf.mul(x, node.scale!), node.offset!);
    case 'affine':
      return tf.add(tf.mul(x, node.factor!), node.shift!);
    case 'add':
      return tf.addN(xs);
    case 'subtract':
      return tf.sub(x, xs[1]!);
    case 'multiply':
      return xs.slice(1).reduce((a, b) => tf.mul(a, b), x);
    case 'average':
      return tf.div(tf.addN(xs), xs.length);
    case 'maximum':
      return xs.slice(1).reduce((a, b) => tf.maximum(a, b), x);
    case 'minimum':
      return xs.slice(1).reduce((a, b) => tf.minimum(a, b), x);
    case 'concat':
      return tf.concat(xs, node.axis ?? -1);
  }
}

/** tf.tidy for a Taps result: intermediates are freed, the returned tensors survive. */
function tidyTaps(fn: () => Taps): Taps {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as Taps;
}

function keepTaps(taps: Taps): Taps {
  const kept: Taps = { activations: {} };
  const keep = <T extends tf.Tensor>(t: T): T => tf.keep(t);
  for (const [name, t] of Object.entries(taps.activations)) kept.activations[name] = keep(t);
  if (taps.logits) kept.logits = keep(taps.logits);
  if (taps.probabilities) kept.probabilities = keep(taps.probabilities);
  if (taps.features) kept.features = keep(taps.features);
  return kept;
}

function tapTensors(taps: Taps): tf.Tensor[] {
  return [...Object.values(taps.activations), taps.logits, taps.probabilities, taps.features].filter((t): t is tf.Tensor => t !== undefined);
}

/** Disposes every tensor of a Taps object (the same tensor may appear twice; dispose is idempotent). */
export function disposeTaps(taps: Taps): void {
  tf.dispose(tapTensors(taps));
}

