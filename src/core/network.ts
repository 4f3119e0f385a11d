import * as tf from '@tensorflow/tfjs';
import { onBackend } from './backend-switch';
import { InvalidInputError, ModelLoadError, UnknownLayerError } from './errors';
import { MODEL_INPUT_SIZE } from './preprocess';
import { relu6Grad } from './relu6-grad';

/**
 * The model adapter: one place that runs the network, once, with "taps".
 *
 * It loads a tfjs LayersModel (a single chain of Conv2D / DepthwiseConv2D / BatchNormalization / Activation /
 * pooling layers, as MobileNet v1 is) and compiles it into a list of stages with batch-norm folded into the
 * convolution weights. Two execution modes share that list:
 * - inference: tf.fused conv ops with bias + relu6 in one kernel (fastest; no gradients needed);
 * - differentiable, 'fused' path (the default): each run of conv blocks between two tapped or probed layers is
 *   ONE custom-gradient op. Its forward pass is one fused conv + bias + ReLU6 kernel per block (nothing recorded
 *   on the tape, nothing cloned); its backward pass is, per block, the ReLU6 derivative from the saved output
 *   (one kernel, see relu6-grad.ts) and the input-gradient convolution — no filter gradient, the weights being
 *   constants. The global average pooling and reshapes of the head are part of the same op.
 * - differentiable, 'composed' path (the reference, and the one a `reluHook` runs on): plain conv2d /
 *   depthwiseConv2d + bias + relu6 ops recorded on tfjs's tape, as tfjs-layers would differentiate them minus the
 *   filter gradients (tfjs-layers' Conv2D runs a fused conv whose gradient computes the filter gradient eagerly,
 *   ~90 % of the time of an input gradient on the CPU backend).
 * Both paths give the same gradients (tests/kernels.test.ts: relative L2 ≤ 1e-5), except at ReLU6 units whose
 * pre-activation is exactly 0 or 6 in float32 under the plain rule: the composed path takes tfjs's ClipByValue
 * gradient there (passes, 0 ≤ x ≤ 6), the fused path ReLU6's derivative on its linear range (blocks, 0 < x < 6, as
 * the guided rule on both paths does). The fused path runs about a quarter of the kernels per saliency pass
 * (bench/kernels.bench.ts), which is what a GPU pays in dispatches.
 * A caller asks for exactly what it needs — activations of named layers, logits (`conv_preds`, before the
 * softmax), probabilities, pooled features — and gets them from the same pass, together with an input gradient
 * when it asks for one. The original LayersModel stays available as the reference implementation.
 */

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

type Activation = 'linear' | 'relu' | 'relu6';

interface ConvStage {
  kind: 'conv';
  depthwise: boolean;
  /** Names this stage answers for: the conv layer, its folded batch norm, its activation layer. */
  convName: string;
  bnName: string | undefined;
  actName: string | undefined;
  activation: Activation;
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  /** Unfolded weights, only used when a tap asks for the raw conv output in front of a folded batch norm. */
  rawFilter: tf.Tensor4D;
  rawBias: tf.Tensor1D | undefined;
  /** The folded batch norm's ε (undefined without one). */
  bnEpsilon: number | undefined;
  strides: [number, number];
  pad: 'same' | 'valid';
}

interface SimpleStage {
  kind: 'gap' | 'identity' | 'softmax' | 'reshape' | 'activation';
  name: string;
  activation?: Activation;
  shape?: number[];
}

type Stage = ConvStage | SimpleStage;

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
  firstStage: number;
  lastStage: number;
}

type ExecMode = Pick<ExecOptions, 'mode' | 'relu' | 'reluHook' | 'fused' | 'retained'>;

const INFERENCE: ExecMode = { mode: 'inference', relu: 'plain', reluHook: undefined, fused: false, retained: [] };

function stageNames(stage: Stage): string[] {
  if (stage.kind === 'conv') {
    return [stage.convName, stage.bnName, stage.actName].filter((n): n is string => n !== undefined);
  }
  return [stage.name];
}

function activationOf(config: Record<string, unknown>): Activation | 'softmax' {
  const act = config['activation'];
  const name = typeof act === 'string' ? act : 'linear';
  if (name === 'linear' || name === 'relu' || name === 'relu6' || name === 'softmax') return name;
  throw new ModelLoadError(`unsupported activation '${name}'`);
}

function relu6Masked(x: tf.Tensor, mode: ReluMode, layer: string, hook: ReluGradientHook | undefined): tf.Tensor {
  if (mode === 'plain' && hook === undefined) return tf.clipByValue(x, 0, 6);
  const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input]);
    return {
      value: tf.clipByValue(input, 0, 6),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const upstream = dy as tf.Tensor;
        const inRange = tf.logicalAnd(tf.greater(saved[0]!, 0), tf.less(saved[0]!, 6)).toFloat();
        let dx = tf.mul(upstream, inRange);
        if (mode === 'guided') dx = tf.relu(dx);
        hook?.(layer, dx);
        return dx;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}

/**
 * MobileNet v1 (or any plain chain of conv / depthwise / batch-norm / ReLU6 / pooling layers) compiled for ConvLens:
 * load() a tfjs layers model, then run() for inference taps, gradient() for a differentiable pass with taps,
 * runFrom() to start at a layer, plus layer metadata (layers, layer(), spatialLayers(), blockOutput()) and trained
 * kernels (kernel()). Inputs are [N, 224, 224, 3] in model space [−1, 1] (preprocess.ts); outputs are tensors the
 * caller owns. Throws UnknownLayerError for unknown layer names, InvalidInputError for a wrongly shaped input,
 * ModelLoadError when loading fails. Call dispose() when done.
 */
export class ConvNet {
  readonly layers: readonly LayerInfo[];
  readonly inputSize = MODEL_INPUT_SIZE;
  /** Name of the layer whose output are the class scores before softmax (`conv_preds`). */
  readonly logitsLayer: string;
  /** Name of the global-average-pooling layer (the pooled feature vector). */
  readonly featuresLayer: string;
  readonly numClasses: number;

  /**
   * The path differentiable passes take unless a call says otherwise (`GradientOptions.path`): 'fused' (default)
   * or 'composed' (the reference; benchmarks switch it to compare).
   */
  gradientPath: GradientPath = 'fused';

  private readonly stages: Stage[];
  private readonly stageOf = new Map<string, number>();
  private readonly logitsStage: number;
  private readonly featuresStage: number;
  /** Per global-pooling stage: a [1, H, W, 1] tensor of H·W, the divisor of its gradient (made once, not per pass). */
  private readonly poolDivisors = new Map<number, tf.Tensor4D>();
  /** The copy forward-only passes run on, and its backend (useForwardTwin); undefined: they run here. */
  private forward: { net: ConvNet; backend: string } | undefined;

  /**
   * Tensors this network owns when it was made by withConvWeights (the folded copies it made); undefined for a
   * loaded network, which owns every stage tensor and its reference model.
   */
  private readonly owned: tf.Tensor[] | undefined;

  private constructor(readonly reference: tf.LayersModel, derived?: { stages: Stage[]; owned: tf.Tensor[] }) {
    this.layers = reference.layers.map((layer) => {
      const shape = layer.outputShape as (number | null)[];
      return { name: layer.name, className: layer.getClassName(), outputShape: shape.slice(1) as number[] };
    });
    this.stages = derived?.stages ?? compile(reference);
    this.owned = derived?.owned;
    this.stages.forEach((stage, i) => stageNames(stage).forEach((n) => this.stageOf.set(n, i)));
    const logits = this.stages.findIndex((s, i) => s.kind === 'conv' && this.stages[i + 1]?.kind === 'softmax');
    const features = this.stages.findIndex((s) => s.kind === 'gap');
    if (logits < 0 || features < 0) throw new ModelLoadError('model has no softmax classifier head or no global pooling');
    this.logitsStage = logits;
    this.featuresStage = features;
    this.logitsLayer = (this.stages[logits] as ConvStage).convName;
    this.featuresLayer = (this.stages[features] as SimpleStage).name;
    this.numClasses = (this.stages[logits] as ConvStage).bias.shape[0];
    this.stages.forEach((stage, i) => {
      if (stage.kind !== 'gap') return;
      const before = this.stages[i - 1];
      const name = before === undefined ? undefined : stageNames(before).at(-1);
      const shape = name === undefined ? undefined : this.layer(name).outputShape;
      if (shape?.length === 3) this.poolDivisors.set(i, tf.keep(tf.fill([1, shape[0]!, shape[1]!, 1], shape[0]! * shape[1]!)) as tf.Tensor4D);
    });
  }

  /** Loads a layers-format model from a URL (browser) or an IOHandler (Node: see src/node/model-files). */
  static async load(source: string | tf.io.IOHandler): Promise<ConvNet> {
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(source);
    } catch (err) {
      const where = typeof source === 'string' ? source : 'the given model files';
      throw new ModelLoadError(`could not load the model from ${where}: ${(err as Error).message}`);
    }
    try {
      return new ConvNet(model);
    } catch (err) {
      model.dispose();
      throw err;
    }
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
    return this.layers.slice(0, end).filter((l) => l.outputShape.length === 3 && l.className !== 'InputLayer');
  }

  /** Names that taps can address (every compiled layer). */
  hasLayer(name: string): boolean {
    return this.stageOf.has(name);
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

  /** The stage of convolution layer `name`; UnknownLayerError / InvalidInputError when it is none. */
  private convStage(name: string): ConvStage {
    const stage = this.stages[this.stageOf.get(name) ?? -1];
    if (stage?.kind !== 'conv' || stage.convName !== name) {
      this.layer(name); // throws UnknownLayerError for names that do not exist
      const convs = this.stages.filter((s): s is ConvStage => s.kind === 'conv').map((s) => s.convName);
      throw new InvalidInputError(`layer '${name}' is not a convolution; conv layers are ${convs[0]}, ${convs[1]}, … ${convs.at(-1)}`);
    }
    return stage;
  }

  /**
   * The output of the block a layer belongs to: a conv or batch-norm layer whose activation is fused into the same
   * stage resolves to that activation layer (the only place a pass can start from); other layers to themselves.
   */
  blockOutput(name: string): string {
    this.layer(name);
    const stage = this.stages[this.stageOf.get(name) ?? -1];
    return stage?.kind === 'conv' && stage.actName !== undefined ? stage.actName : name;
  }

  /** Names of the convolution layers, in order. */
  convLayers(): string[] {
    return this.stages.filter((s): s is ConvStage => s.kind === 'conv').map((s) => s.convName);
  }

  /**
   * A new network equal to this one except for the convolution layers in `replacements` (conv layer name →
   * ConvWeights), whose kernel and bias are replaced and whose batch norm, if any, is reset to a freshly
   * initialised Keras BatchNormalization (γ = 1, β = 0, moving mean 0, moving variance 1, the layer's own ε) before
   * folding. This network is not touched: the copy shares every unchanged stage's tensors, has no forward twin (its
   * forward passes run on the active backend) and takes this network's gradientPath. It does not take ownership of
   * the given tensors (the caller disposes them, after disposing the copy, which frees only what it made itself).
   * Its `reference` is this network's trained LayersModel, so it is no reference for the replaced layers, and
   * `kernel(name)` returns the replacement kernel. For weight-randomisation tests (src/core/sanity.ts). Throws
   * UnknownLayerError / InvalidInputError for a name that is not a convolution layer, InvalidInputError for
   * weights of the wrong shape.
   */
  withConvWeights(replacements: ReadonlyMap<string, ConvWeights>): ConvNet {
    for (const [name, w] of replacements) {
      const stage = this.convStage(name);
      if (!sameShape(w.kernel.shape, stage.rawFilter.shape) || !sameShape(w.bias.shape, stage.bias.shape)) {
        throw new InvalidInputError(
          `layer '${name}': expected a kernel [${stage.rawFilter.shape.join(', ')}] and a bias [${stage.bias.shape.join(', ')}], ` +
            `got [${w.kernel.shape.join(', ')}] and [${w.bias.shape.join(', ')}]`,
        );
      }
    }
    const owned: tf.Tensor[] = [];
    const stages = this.stages.map((stage): Stage => {
      if (stage.kind !== 'conv') return stage;
      const w = replacements.get(stage.convName);
      if (w === undefined) return stage;
      if (stage.bnEpsilon === undefined) return { ...stage, filter: w.kernel, bias: w.bias, rawFilter: w.kernel, rawBias: w.bias };
      // A fresh batch norm folds to W' = W·s, b' = b·s with s = 1 / √(1 + ε) (foldBatchNorm with μ = 0, σ² = 1, γ = 1, β = 0).
      const scale = 1 / Math.sqrt(1 + stage.bnEpsilon);
      const [filter, bias] = tf.tidy(() => [tf.keep(tf.mul(w.kernel, scale) as tf.Tensor4D), tf.keep(tf.mul(w.bias, scale) as tf.Tensor1D)]);
      owned.push(filter!, bias!);
      return { ...stage, filter: filter!, bias: bias!, rawFilter: w.kernel, rawBias: w.bias };
    });
    const copy = new ConvNet(this.reference, { stages, owned });
    copy.gradientPath = this.gradientPath;
    return copy;
  }

  dispose(): void {
    this.useForwardTwin(undefined);
    if (this.owned !== undefined) {
      tf.dispose([...this.owned, ...this.poolDivisors.values()]);
      return;
    }
    for (const stage of this.stages) {
      if (stage.kind !== 'conv') continue;
      tf.dispose([stage.filter, stage.bias, stage.rawFilter]);
      if (stage.rawBias) stage.rawBias.dispose();
    }
    tf.dispose([...this.poolDivisors.values()]);
    this.reference.dispose();
  }

  private checkInput(input: tf.Tensor, from: string | undefined): void {
    let expected: number[];
    if (from === undefined) {
      expected = [this.inputSize, this.inputSize, 3];
    } else {
      if (!this.stageOf.has(from)) throw new UnknownLayerError(from, this.layers.map((l) => l.name));
      expected = this.layer(from).outputShape;
    }
    const got = input.shape.slice(1);
    if (input.rank !== expected.length + 1 || got.some((d, i) => d !== expected[i])) {
      throw new InvalidInputError(`expected a batch of shape [N, ${expected.join(', ')}], got [${input.shape.join(', ')}]`);
    }
  }

  private execute(input: tf.Tensor4D, request: TapRequest, mode: ExecMode, from?: string, probes?: ReadonlyMap<string, tf.Tensor>): Taps {
    const want = new Set(request.layers ?? []);
    let lastStage = -1;
    for (const name of want) {
      const index = this.stageOf.get(name);
      if (index === undefined) throw new UnknownLayerError(name, this.layers.map((l) => l.name));
      lastStage = Math.max(lastStage, index);
    }
    const needLogits = request.logits === true || request.probabilities === true;
    if (needLogits) lastStage = Math.max(lastStage, this.logitsStage);
    if (request.features) lastStage = Math.max(lastStage, this.featuresStage);
    for (const name of probes?.keys() ?? []) lastStage = Math.max(lastStage, this.stageOf.get(name)!);
    const firstStage = from === undefined ? 0 : this.stageOf.get(from)! + 1;
    if (from !== undefined) {
      const fromStage = this.stages[firstStage - 1]!;
      // Starting inside a fused conv stage (e.g. from its batch norm) means its activation is still to come.
      if (fromStage.kind === 'conv' && fromStage.actName !== undefined && from !== fromStage.actName) {
        throw new InvalidInputError(`cannot start a pass at '${from}': use the activation layer '${fromStage.actName}'`);
      }
    }
    const captured: Record<string, tf.Tensor> = {};
    let x: tf.Tensor = input;
    let logits: tf.Tensor | undefined;
    let features: tf.Tensor | undefined;
    const opts: ExecOptions = { ...mode, want, firstStage, lastStage };
    // A fused segment ends where a result is read: a tapped or probed layer, the features, the logits.
    const isBoundary = (i: number): boolean => {
      const output = stageNames(this.stages[i]!).at(-1)!;
      return i === lastStage || want.has(output) || probes?.has(output) === true || i === this.logitsStage || (i === this.featuresStage && request.features === true);
    };
    for (let i = firstStage; i <= lastStage; i++) {
      const stage = this.stages[i]!;
      const output = stageNames(stage).at(-1)!;
      const probe = probes?.get(output);
      if (opts.mode === 'differentiable' && opts.fused && this.fusable(i, want)) {
        let last = i;
        while (!isBoundary(last) && this.fusable(last + 1, want)) last++;
        const lastOutput = stageNames(this.stages[last]!).at(-1)!;
        // The logits leave the segment already flat ([N, classes]) unless the conv layer itself is tapped.
        const flatten = last === this.logitsStage && needLogits && !want.has(lastOutput);
        x = this.runSegment(i, last, x, probes?.get(lastOutput), flatten, opts);
        if (want.has(lastOutput)) captured[lastOutput] = x;
        if (last === this.logitsStage) logits = x;
        if (last === this.featuresStage) features = x;
        i = last;
        continue;
      }
      x = stage.kind === 'conv' ? this.runConv(stage, x, opts, captured) : runSimple(stage, x, opts);
      if (probe) x = tf.add(x, probe);
      if ((stage.kind !== 'conv' || probe) && want.has(output)) captured[output] = x;
      if (i === this.logitsStage) logits = x;
      if (i === this.featuresStage) features = x;
    }
    const taps: Taps = { activations: captured };
    if (needLogits) {
      const flat = (logits!.rank === 2 ? logits! : tf.reshape(logits!, [logits!.shape[0]!, this.numClasses])) as tf.Tensor2D;
      if (request.logits) taps.logits = flat;
      if (request.probabilities) taps.probabilities = tf.softmax(flat);
    }
    if (request.features) taps.features = features as tf.Tensor2D;
    return taps;
  }

  /** Whether stage i can run inside a fused segment: conv blocks with ReLU6 or no activation, pooling, reshapes. */
  private fusable(i: number, want: ReadonlySet<string>): boolean {
    const stage = this.stages[i];
    if (stage === undefined) return false;
    if (stage.kind === 'gap') return this.poolDivisors.has(i);
    if (stage.kind === 'reshape' || stage.kind === 'identity') return true;
    if (stage.kind !== 'conv' || (stage.activation !== 'relu6' && stage.activation !== 'linear')) return false;
    // Taps of the raw conv output or of the pre-activation need the unfused computation.
    if (stage.bnName !== undefined) return !want.has(stage.convName) && !want.has(stage.bnName);
    return stage.activation === 'linear' || !want.has(stage.convName);
  }

  /**
   * Stages first..last as ONE custom-gradient op with input x (and the probe of the last stage's output, when
   * there is one). Forward: one fused conv + bias + activation kernel per conv block, one Mean per pooling; the
   * tape records only this op. Backward: per conv block the ReLU6 derivative from its saved output (one kernel)
   * and the input-gradient convolution; per pooling one division. The probe's gradient is the gradient arriving
   * at the output, as for `x + probe` on the composed path.
   */
  private runSegment(first: number, last: number, x: tf.Tensor, probe: tf.Tensor | undefined, flatten: boolean, opts: ExecOptions): tf.Tensor {
    type Step =
      | { kind: 'conv'; stage: ConvStage; inShape: [number, number, number, number]; y: tf.Tensor | undefined }
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
      for (let i = first; i <= last; i++) {
        const stage = this.stages[i]!;
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

  private runConv(stage: ConvStage, x: tf.Tensor, opts: ExecOptions, captured: Record<string, tf.Tensor>): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    if (opts.want.has(stage.convName) && stage.bnName !== undefined) {
      // The raw conv output is not part of the folded computation; compute it on its own only when tapped.
      captured[stage.convName] = conv(stage, x4, stage.rawFilter, stage.rawBias);
    }
    const needPreActivation = stage.bnName !== undefined && opts.want.has(stage.bnName);
    // Without batch norm the conv layer's own output is the pre-activation: tapping it needs the unfused ops.
    const needRawOutput = stage.bnName === undefined && opts.want.has(stage.convName) && stage.activation !== 'linear';
    if (opts.mode === 'inference' && !needPreActivation && !needRawOutput) {
      // One fused kernel (bias and activation included), called directly: tf.fused's custom-gradient wrapper would
      // be a second kernel-profile entry per conv, and with no tape recording there is nothing for it to do.
      const args = { x: x4, filter: stage.filter, strides: stage.strides, pad: stage.pad, bias: stage.bias, activation: stage.activation };
      const y = tf.engine().isTapeOn() ? (stage.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args)) : fusedConv(stage, x4);
      const output = stage.actName ?? (stage.bnName === undefined ? stage.convName : undefined);
      if (output !== undefined && opts.want.has(output)) captured[output] = y;
      return y;
    }
    const pre = conv(stage, x4, stage.filter, stage.bias);
    if (stage.bnName !== undefined && opts.want.has(stage.bnName)) captured[stage.bnName] = pre;
    if (stage.bnName === undefined && opts.want.has(stage.convName)) captured[stage.convName] = pre;
    if (stage.activation === 'linear') return pre;
    const y = stage.activation === 'relu6' ? relu6Masked(pre, opts.relu, stage.actName ?? stage.convName, opts.reluHook) : tf.relu(pre);
    if (stage.actName !== undefined && opts.want.has(stage.actName)) captured[stage.actName] = y;
    return y;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** conv + bias + activation as one FusedConv2D / FusedDepthwiseConv2D kernel (no gradient of its own). */
function fusedConv(stage: ConvStage, x: tf.Tensor4D): tf.Tensor4D {
  // dataFormat for both kinds: tfjs-core's fused depthwise op leaves it out, which the WASM backend refuses.
  const attrs = { strides: stage.strides, pad: stage.pad, dilations: [1, 1], dimRoundingMode: undefined, activation: stage.activation, leakyreluAlpha: undefined, dataFormat: 'NHWC' };
  const inputs = { x, filter: stage.filter, bias: stage.bias };
  return tf.engine().runKernel(stage.depthwise ? 'FusedDepthwiseConv2D' : 'FusedConv2D', inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** ∂/∂x of the convolution alone (the filter gradient is never computed: the weights are constants). */
function inputGradient(stage: ConvStage, dy: tf.Tensor, inputShape: [number, number, number, number]): tf.Tensor4D {
  const inputs = { dy, filter: stage.filter };
  const attrs = stage.depthwise
    ? { strides: stage.strides, dilations: [1, 1], pad: stage.pad, dimRoundingMode: undefined, inputShape }
    : { strides: stage.strides, pad: stage.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape };
  return tf.engine().runKernel(stage.depthwise ? 'DepthwiseConv2dNativeBackpropInput' : 'Conv2DBackpropInput', inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

function conv(stage: ConvStage, x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined): tf.Tensor4D {
  const y = stage.depthwise
    ? tf.depthwiseConv2d(x, filter, stage.strides, stage.pad)
    : tf.conv2d(x, filter, stage.strides, stage.pad);
  return bias === undefined ? y : tf.add(y, bias);
}

function runSimple(stage: SimpleStage, x: tf.Tensor, opts: ExecOptions): tf.Tensor {
  switch (stage.kind) {
    case 'gap':
      return tf.mean(x, [1, 2]);
    case 'identity':
      return x;
    case 'softmax':
      return tf.softmax(x);
    case 'reshape':
      return tf.reshape(x, [x.shape[0]!, ...stage.shape!]);
    case 'activation':
      if (stage.activation === 'relu6') return relu6Masked(x, opts.relu, stage.name, opts.reluHook);
      return stage.activation === 'relu' ? tf.relu(x) : x;
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

/** Turns the LayersModel into stages, folding each BatchNormalization into the convolution before it. */
function compile(model: tf.LayersModel): Stage[] {
  const stages: Stage[] = [];
  const layers = model.layers;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    const className = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    if (layer.inboundNodes.some((n) => n.inboundLayers.length > 1)) {
      throw new ModelLoadError(`layer '${layer.name}' has several inputs: only single-chain networks are supported`);
    }
    switch (className) {
      case 'InputLayer':
        break;
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const stage = convStage(layer, className === 'DepthwiseConv2D', config);
        const next = layers[i + 1];
        if (next?.getClassName() === 'BatchNormalization') {
          foldBatchNorm(stage, next);
          i++;
        }
        const after = layers[i + 1];
        if (stage.activation === 'linear' && after?.getClassName() === 'Activation') {
          const act = activationOf(after.getConfig() as Record<string, unknown>);
          if (act !== 'softmax') {
            stage.activation = act;
            stage.actName = after.name;
            i++;
          }
        }
        stages.push(stage);
        break;
      }
      case 'Activation': {
        const act = activationOf(config);
        stages.push(act === 'softmax' ? { kind: 'softmax', name: layer.name } : { kind: 'activation', name: layer.name, activation: act });
        break;
      }
      case 'ReLU': {
        const max = config['max_value'] ?? config['maxValue'];
        stages.push({ kind: 'activation', name: layer.name, activation: max === 6 ? 'relu6' : 'relu' });
        break;
      }
      case 'GlobalAveragePooling2D':
        stages.push({ kind: 'gap', name: layer.name });
        break;
      case 'Reshape':
        stages.push({ kind: 'reshape', name: layer.name, shape: (layer.outputShape as number[]).slice(1) });
        break;
      case 'Dropout':
        stages.push({ kind: 'identity', name: layer.name });
        break;
      default:
        throw new ModelLoadError(`unsupported layer class '${className}' (layer '${layer.name}')`);
    }
  }
  return stages;
}

function convStage(layer: tf.layers.Layer, depthwise: boolean, config: Record<string, unknown>): ConvStage {
  const weights = layer.getWeights();
  const rawFilter = tf.keep(weights[0]!.clone()) as tf.Tensor4D;
  const useBias = config['use_bias'] ?? config['useBias'];
  const rawBias = useBias === false || weights[1] === undefined ? undefined : (tf.keep(weights[1].clone()) as tf.Tensor1D);
  const dilation = (config['dilation_rate'] ?? config['dilationRate'] ?? [1, 1]) as number[];
  if (dilation.some((d) => d !== 1)) throw new ModelLoadError(`layer '${layer.name}': dilated convolutions are not supported`);
  const strides = (config['strides'] ?? [1, 1]) as [number, number];
  const pad = config['padding'] as 'same' | 'valid';
  const activation = activationOf(config);
  if (activation === 'softmax') throw new ModelLoadError(`layer '${layer.name}': softmax inside a conv layer is not supported`);
  const channels = depthwise ? rawFilter.shape[2] * rawFilter.shape[3] : rawFilter.shape[3];
  return {
    kind: 'conv',
    depthwise,
    convName: layer.name,
    bnName: undefined,
    bnEpsilon: undefined,
    actName: undefined,
    activation,
    filter: rawFilter,
    bias: rawBias ?? (tf.keep(tf.zeros([channels])) as tf.Tensor1D),
    rawFilter,
    rawBias,
    strides,
    pad,
  };
}

/**
 * y = γ (conv(x, W) + b − μ) / √(σ² + ε) + β  ⇒  W' = W·s, b' = (b − μ)·s + β with s = γ / √(σ² + ε).
 * The scale applies per output channel: the last kernel axis for Conv2D, the input-channel axis for depthwise.
 */
function foldBatchNorm(stage: ConvStage, bn: tf.layers.Layer): void {
  const config = bn.getConfig() as Record<string, unknown>;
  const epsilon = (config['epsilon'] as number | undefined) ?? 1e-3;
  const byName = new Map(bn.weights.map((w, k) => [w.name.split('/').pop()!.replace(/_\d+$/, ''), bn.getWeights()[k]!]));
  const mean = byName.get('moving_mean');
  const variance = byName.get('moving_variance');
  if (!mean || !variance) throw new ModelLoadError(`batch norm '${bn.name}' lacks its moving statistics`);
  const channels = mean.shape[0]!;
  const gamma = byName.get('gamma') ?? tf.ones([channels]);
  const beta = byName.get('beta') ?? tf.zeros([channels]);
  const [filter, bias] = tf.tidy(() => {
    const scale = tf.div(gamma, tf.sqrt(tf.add(variance, epsilon)));
    const f = stage.depthwise
      ? tf.mul(stage.rawFilter, tf.reshape(scale, [1, 1, stage.rawFilter.shape[2], stage.rawFilter.shape[3]]))
      : tf.mul(stage.rawFilter, scale);
    const b = tf.add(tf.mul(tf.sub(stage.rawBias ?? tf.zeros([channels]), mean), scale), beta);
    return [f as tf.Tensor4D, b as tf.Tensor1D];
  });
  if (stage.bias !== stage.rawBias) stage.bias.dispose();
  stage.filter = filter;
  stage.bias = bias;
  stage.bnName = bn.name;
  stage.bnEpsilon = epsilon;
}
