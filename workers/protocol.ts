/**
 * The typed message protocol between the page and the inference worker (one module, imported by both sides).
 * Every request carries an id; every response names the id it answers. Large arrays travel as transferables.
 */
import type { AttributionMethodName, MethodSettings } from '../src/core/attribution/defaults';
import type { Prediction } from '../src/core/classify';
import type { EmbedMethod } from '../src/core/gallery/embed';
import type { PresetName } from '../src/core/optimize/presets';
import type { LayerInfo } from '../src/core/network';
import type { LiveFrame, LiveSettings } from '../src/core/live/settings';
import type { ModelName } from '../src/core/models';
import type { OwnModelInfo, OwnModelUpload } from '../src/core/own-model';
import type { RgbaImage } from '../src/core/preprocess';
import type { StartChoice } from './backend-choice';

/**
 * The TensorFlow.js backends the worker can run on, in the order it tries them when none is forced (?backend= in the
 * page URL forces one).
 */
export const BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
/** One of BACKENDS. */
export type BackendName = (typeof BACKENDS)[number];

/** A camera frame or picture: an ImageBitmap in the browser; plain RGBA pixels also work (tests, Node). */
export type FrameImage = ImageBitmap | RgbaImage;

/**
 * Explain a frozen frame with one attribution method: the method's own settings, typed per method (any not given
 * take the method's declared defaults, src/core/attribution/defaults.ts).
 */
export type ExplainJob = {
  [M in AttributionMethodName]: { kind: 'explain'; method: M; classIndex: number | 'top'; image: FrameImage; options?: Partial<MethodSettings[M]> };
}[AttributionMethodName];

/** The map an explain job returns: the display map (0..1, the method's display rule) and the raw numbers. */
export interface ExplainResult {
  kind: 'explain';
  method: AttributionMethodName;
  /** The class explained ('top' resolved). */
  target: { index: number; label: string };
  /** Normalised for display by the method's declared rule, [0, 1], width × height row-major. */
  heatmap: { width: number; height: number; data: Float32Array };
  /** Signed per-pixel values (IG, occlusion, Shapley), in the method's units; absent for unsigned methods. */
  signed?: Float32Array;
  /** The method's extras (e.g. IG completeness, Shapley cell values). */
  extras?: Record<string, number | number[]>;
  ms: number;
}

/** On-demand modes: long, cancellable work in the worker (explain a frozen frame, gallery views). */
export type JobSpec =
  | ExplainJob
  | { kind: 'neighbours'; image: FrameImage; k?: number }
  | { kind: 'embed'; method: EmbedMethod; seed?: number }
  | { kind: 'top-patches'; layer: string; channel: number; k?: number }
  | { kind: 'gallery-add'; image: FrameImage; name: string }
  /** Steps: the preset's declared budget unless given. */
  | { kind: 'class-visualisation'; classIndex: number; preset: PresetName; steps?: number }
  /** ε in pixel levels: FOOL_DEFAULTS unless given. */
  | { kind: 'fool'; image: FrameImage; target: number; eps?: number }
  /**
   * The gallery's universal perturbation. `train` false (default): the loaded model's precomputed one
   * (public/gallery/uap-MODEL.json, scripts/gallery-uap.ts) where there is one, else as with `train`; true: made now
   * (stochasticUniversalPerturbation, `steps` of UAP_JOB's mini-batches) on the gallery's training split and measured
   * on its held-out pictures.
   */
  | { kind: 'uap'; eps?: number; steps?: number; train?: boolean }
  /** Sanity check of a method (src/core/sanity.ts): randomise `layers` conv layers from the top down (default all). */
  | { kind: 'sanity'; image: FrameImage; method: AttributionMethodName; classIndex: number | 'top'; layers?: number; seed?: number }
  /**
   * Teach mode: train a head for `classes` (TEACH_LIMITS) on the examples captured with 'teach-example' (class i's
   * examples are those captured with classIndex i); when done, frames and jobs run the taught network until
   * 'teach-forget' or another model. Epochs: TEACH_DEFAULTS unless given.
   */
  | { kind: 'teach'; classes: string[]; epochs?: number }
  /**
   * Feature inversion of the frame at a row of layers, shallow to deep (src/core/optimize/invert.ts invertRow):
   * `layers` in network order (default invertRowLayers(net, chosen)); `chosen`: the live layer, marked in the
   * result; steps per layer: INVERT_JOB.default unless given.
   */
  | { kind: 'invert-row'; image: FrameImage; layers?: string[]; chosen?: string; steps?: number }
  /**
   * The three views of the strongest neuron of one channel on the frame (src/core/neuron-views.ts): guided
   * backprop, channel visualisation (preset, steps) and the top k gallery patches (NEURON_VIEWS_JOB unless given).
   */
  | { kind: 'neuron-views'; image: FrameImage; layer: string; channel: number; preset?: PresetName; steps?: number; k?: number }
  /**
   * Multifaceted visualisation of a class over the gallery (src/core/optimize/multifaceted.ts): MULTIFACETED_DEFAULTS
   * unless given (facets: k of the k-means; steps: per facet; topN: gallery images clustered).
   */
  | { kind: 'multifaceted'; classIndex: number; facets?: number; steps?: number; topN?: number }
  /**
   * Cut the object out of a frozen frame (src/core/segment.ts): the `method` map of class `classIndex` seeds GrabCut
   * (SEGMENT_DEFAULTS.method unless given).
   */
  | { kind: 'segment'; image: FrameImage; classIndex: number | 'top'; method?: AttributionMethodName };

/** One reconstruction of an invert-row job: the layer, its 8-bit image and how close it came (RowInversion). */
export interface InvertRowStep {
  layer: string;
  image: RgbaImage;
  /** Relative squared feature distance ‖φ(x) − φ₀‖² / ‖φ₀‖² of the result, and of the grey start. */
  distance: number;
  startDistance: number;
  /** Pearson correlation of the reconstruction's pixels with the frame's, [−1, 1]. */
  pixelCorrelation: number;
  steps: number;
  ms: number;
}

/** An invert-row job's result: the frame as the model saw it and the row of reconstructions, shallow to deep. */
export interface InvertRowResult {
  kind: 'invert-row';
  original: RgbaImage;
  row: InvertRowStep[];
  /** The live layer when the job started (marked in the view; one of the row's layers when spatial). */
  chosen?: string;
  ms: number;
}

/**
 * A neuron-views job's result: the strongest neuron of the channel on the frame (map position, values), its
 * receptive field in model-input pixels (whole field and the part inside the frame), the guided-backprop display
 * map of that part (region.width × region.height, [0, 1]; the map is zero outside the field), the channel
 * visualisation and the top gallery patches.
 */
export interface NeuronViewsResult {
  kind: 'neuron-views';
  layer: string;
  channel: number;
  neuron: { y: number; x: number; activation: number; preActivation?: number; rankedBy: 'pre-activation' | 'activation' };
  mapSize: [number, number];
  fieldRect: { x: number; y: number; width: number; height: number };
  region: { x: number; y: number; width: number; height: number };
  guided: { width: number; height: number; data: Float32Array };
  visualisation: { image: RgbaImage; activation: number; startActivation: number; steps: number };
  patches: { grid: RgbaImage; rankedBy: 'pre-activation' | 'activation'; items: { name: string; activation: number; preActivation?: number }[] };
  ms: number;
}

/**
 * A multifaceted visualisation's result: per facet (largest cluster first) the generated image, the mean image it
 * started from, the class logit and probability of both, and the members (gallery ids and names, by logit).
 */
export interface MultifacetedJobResult {
  kind: 'multifaceted';
  classIndex: number;
  label: string;
  /** Steps per facet. */
  steps: number;
  /** Gallery pictures scored. */
  scored: number;
  facets: {
    image: RgbaImage;
    init: RgbaImage;
    logit: number;
    initLogit: number;
    probability: number;
    initProbability: number;
    members: { id: string; name: string; logit: number }[];
    ms: number;
  }[];
}

/** A teach job's result: the classes taught, examples per class, training figures (src/core/teach.ts TaughtClassifier). */
export interface TeachJobResult {
  kind: 'teach';
  classes: string[];
  counts: number[];
  /** Mean softmax cross-entropy of the last epoch, nats. */
  loss: number;
  /** Share of the captured examples the taught head classifies right, 0–1. */
  trainAccuracy: number;
  epochs: number;
  /** Training time (the features were computed at capture), ms. */
  ms: number;
}

/**
 * What the worker holds for Teach mode, answered to 'teach-example' and 'teach-forget': examples per class index
 * (TEACH_LIMITS.maxClasses entries), whether a taught network is in use, and the labels frames now carry.
 */
export interface TeachStateReply {
  type: 'teach-state';
  id: number;
  counts: number[];
  taught: boolean;
  labels: string[];
}

/**
 * A sanity check's result (Adebayo et al. 2018, src/core/sanity.ts): the trained network's map and, per randomised
 * layer (top first), the map of the network randomised down to it with its Spearman ρ in [−1, 1] against the
 * original (NaN for a constant map). Maps are display maps, [0, 1], width × height row-major.
 */
export interface SanityJobResult {
  kind: 'sanity';
  method: AttributionMethodName;
  target: { index: number; label: string };
  original: { width: number; height: number; data: Float32Array };
  steps: { layer: string; spearman: number; heatmap: { width: number; height: number; data: Float32Array } }[];
  ms: number;
}

/**
 * The gallery UAP job's result: fooling rates on the training and the held-out pictures (in [0, 1]; NaN where none
 * was held out), their counts, the training budget (gradient steps, augmented views), whether it was the shipped
 * precomputed one, the perturbation magnified DIFFERENCE_GAIN times around mid-grey (224×224 RGBA) and the job's ms.
 */
export interface UapJobResult {
  kind: 'uap';
  foolingRate: number;
  heldOutRate: number;
  images: number;
  heldOutImages: number;
  steps: number;
  views: number;
  eps: number;
  method: string;
  precomputed: boolean;
  picture: RgbaImage;
  ms: number;
}

/**
 * A segmentation's result (src/core/segment.ts, Simonyan et al. 2014 + GrabCut): the foreground mask over the model
 * input (1 = object, width × height row-major), its box in those pixels (null when nothing was kept), the share of
 * the frame it covers, [0, 1], and the time of the attribution map and of GrabCut, ms.
 */
export interface SegmentJobResult {
  kind: 'segment';
  method: AttributionMethodName;
  target: { index: number; label: string };
  mask: { width: number; height: number; data: Uint8Array };
  box: { x: number; y: number; width: number; height: number } | null;
  foregroundFraction: number;
  ms: { attribution: number; grabCut: number };
}

/**
 * What a finished job returns (in a 'done' response), one shape per JobSpec kind: explain maps, neighbour views, 2-D
 * gallery maps, top patches, the id of an added snapshot, class visualisations, fooling images (pixel-level L∞) and
 * the gallery UAP with its fooling rate.
 */
export type JobResult =
  | ExplainResult
  | { kind: 'neighbours'; views: { space: string; metric: string; neighbours: { id: string; name: string; distance: number }[] }[] }
  | {
      kind: 'embed';
      method: EmbedMethod;
      points: { id: string; name: string; x: number; y: number }[];
      /** Gallery feature vectors, so the page can place the live frame on the map. */
      vectors: Float32Array[];
      /** PCA only: the projection, for placing new points exactly. */
      pca?: { mean: Float32Array; components: Float32Array[] };
    }
  | {
      kind: 'top-patches';
      layer: string;
      channel: number;
      grid: RgbaImage;
      /** What the patches are ranked by (TopPatchResult.rankedBy): ReLU6 outputs tie at 6, so activation layers rank by the pre-activation. */
      rankedBy: 'pre-activation' | 'activation';
      patches: { name: string; x: number; y: number; width: number; height: number; activation: number; preActivation?: number }[];
    }
  | { kind: 'gallery-add'; id: string; size: number }
  | { kind: 'class-visualisation'; image: RgbaImage; classIndex: number; label: string; probability: number; steps: number; contrastRaised: boolean }
  | {
      kind: 'fool';
      success: boolean;
      original: RgbaImage;
      adversarial: RgbaImage;
      /** The difference magnified 10× around mid-grey, as the lecture shows it. */
      difference: RgbaImage;
      before: Prediction;
      after: Prediction;
      target: Prediction;
      linf: number;
    }
  | UapJobResult
  | SanityJobResult
  | TeachJobResult
  | InvertRowResult
  | NeuronViewsResult
  | MultifacetedJobResult
  | SegmentJobResult;

/**
 * A message from the page to the inference worker; every one carries an `id` that its reply names. 'init' loads a
 * model on a backend, 'frame' runs the live pipeline on one camera frame (latest wins: a waiting frame is answered
 * 'dropped'), 'filters' draws a layer's kernels, 'job' starts an on-demand job, 'cancel' stops job `job`, 'bench'
 * times the pipeline, 'memory' and 'simulate' are for health checks and tests.
 */
export type WorkerRequest =
  /**
   * Load the model. `backend` forces a backend (else the fastest measured one); `auto` asks the worker to choose by
   * measurement: the backend (when none is forced) and, with `auto.model`, the model (`model` is then only the
   * preference). `auto.remembered`: earlier choices by device key (localStorage texts), to skip measuring again.
   */
  /**
   * `wasm: false` keeps forward-only passes on the CPU backend too (the URL's `?wasm=0`; benchmarks compare);
   * otherwise, on the CPU backend, they run on a WASM twin of the model where WASM starts (ForwardEngine).
   */
  /** `model`: a bundled model's id or the name of a model stored in this browser ("Your own model"). */
  | { type: 'init'; id: number; model: ModelName; backend?: BackendName; modelsUrl: string; galleryUrl?: string; auto?: { model: boolean; remembered: Record<string, string> }; wasm?: boolean }
  | { type: 'frame'; id: number; image: FrameImage; settings: LiveSettings }
  | { type: 'filters'; id: number; layer?: string }
  | { type: 'job'; id: number; job: JobSpec }
  | { type: 'cancel'; id: number; job: number }
  | { type: 'bench'; id: number }
  /** The worker's tf.memory() now (soak runs, health checks). */
  | { type: 'memory'; id: number }
  /**
   * "Your own model": files checked by the page (src/core/own-model.ts checkModelFiles), compiled here and stored
   * in IndexedDB; answered 'own-model-stored', or 'error' with one line (an unsupported layer, labels that do not fit).
   */
  | { type: 'own-model'; id: number; upload: OwnModelUpload }
  /**
   * Teach mode: the frame (the model's view of it) becomes an example of class `classIndex` (0 ≤ i <
   * TEACH_LIMITS.maxClasses); its pooled features are computed once, on the loaded network, and kept in the worker.
   */
  | { type: 'teach-example'; id: number; classIndex: number; image: FrameImage }
  /**
   * Teach mode: forget. Without `classIndex`: every example and the taught network (frames carry the loaded model's
   * classes again). With it: that class's examples; `remove` also deletes the class (higher indices move down one).
   */
  | { type: 'teach-forget'; id: number; classIndex?: number; remove?: boolean }
  /**
   * Test/operator hook: 'device-loss' destroys the real WebGPU device; 'context-loss' loses the WebGL backend's
   * context (WEBGL_lose_context); 'crash' throws an uncaught error in the worker.
   */
  | { type: 'simulate'; id: number; what: Simulation };

/** What `simulate` can break on purpose, to exercise the recovery paths (tests, kiosk operators). */
export const SIMULATIONS = ['device-loss', 'context-loss', 'crash'] as const;
/** One of SIMULATIONS. */
export type Simulation = (typeof SIMULATIONS)[number];

/** TensorFlow.js memory in the worker (numBytesInGPU only on GPU backends). */
export interface WorkerMemory {
  numTensors: number;
  numBytes: number;
  numBytesInGPU?: number;
}

/**
 * Unsolicited news from the worker (id 0): the WebGPU device or the WebGL context was lost, the backend was recreated (or fell back),
 * or recovery failed. `recoveries` counts successful recoveries since the worker started.
 */
export interface WorkerStatus {
  type: 'status';
  id: number;
  event: 'device-lost' | 'recovered' | 'recovery-failed';
  backend: BackendName | null;
  message: string;
  recoveries: number;
  /** Time from the loss to the first warmed-up pipeline on the new backend. */
  ms?: number;
}

/**
 * The backend forward-only passes (activations, occlusion and masking batches, gallery features) run on beside the
 * CPU backend, which keeps the gradient work (issue 13, goal 5): TensorFlow.js's WASM backend (XNNPACK kernels).
 * `simd`: WebAssembly SIMD is used; `threads`: its thread-pool size (XNNPACK's pthreadpool: half the logical cores,
 * 1 to 8, as tfjs-backend-wasm sizes it; 1 without cross-origin isolation, since threads need SharedArrayBuffer); `isolated`: the worker is cross-origin isolated (COOP/COEP headers, config/csp.ts).
 */
export interface ForwardEngine {
  backend: 'wasm';
  simd: boolean;
  threads: number;
  isolated: boolean;
}

/**
 * A message from the inference worker to the page, naming the request id it answers ('status' uses id 0): 'ready'
 * after init (backend, model, load and warm-up ms, spatial layers), 'frame' a processed live frame, 'dropped' a frame
 * replaced by a newer one, 'image' a filters picture, 'progress' / 'done' / 'cancelled' for jobs, 'bench' figures,
 * 'memory', 'own-model-stored', 'teach-state', 'ok' (cancel, simulate), WorkerStatus, and 'error' with a one-line message.
 */
export type WorkerResponse =
  /** `choice`: how backend and model were chosen (measured, remembered or forced), the timings and the live budget. */
  /** `forward`: where forward-only passes run when not on `backend` itself (the WASM twin on CPU kiosks). */
  /** `labels`: the model's class labels in output order (ImageNet's, or an own model's); `inputSize`: its input side (pixels). */
  | { type: 'ready'; id: number; backend: BackendName; model: ModelName; loadMs: number; warmupMs: number; layers: LayerInfo[]; labels: string[]; inputSize: number; choice?: StartChoice; forward?: ForwardEngine }
  /** An own model compiled and stored: what the page lists about it. */
  | { type: 'own-model-stored'; id: number; info: OwnModelInfo }
  | TeachStateReply
  | { type: 'frame'; id: number; frame: LiveFrame; ms: number; memory: WorkerMemory }
  | { type: 'dropped'; id: number }
  | { type: 'image'; id: number; image: RgbaImage }
  /**
   * A job's progress: `done` of `total` units of work, seconds since it started, and the seconds left as
   * estimated from the time per unit so far (src/core/eta.ts; absent until a unit is done).
   */
  | { type: 'progress'; id: number; done: number; total: number; elapsedSeconds: number; etaSeconds?: number; preview?: RgbaImage }
  | { type: 'done'; id: number; result: JobResult }
  | { type: 'cancelled'; id: number }
  | { type: 'bench'; id: number; figures: Record<string, number> }
  | { type: 'memory'; id: number; memory: WorkerMemory }
  | { type: 'ok'; id: number }
  | WorkerStatus
  | { type: 'error'; id: number; message: string };

type Reply<T extends WorkerResponse['type']> = Extract<WorkerResponse, { type: T }>;

/**
 * What the worker answers to each request type (its final reply; a job also sends 'progress' messages before
 * it). Any request may be answered with 'error' (a failure in the worker, or the worker crashing).
 */
export interface ReplyMap {
  init: Reply<'ready'> | Reply<'error'>;
  /** 'dropped': a newer frame replaced this one while the worker was busy (latest wins). */
  frame: Reply<'frame'> | Reply<'dropped'> | Reply<'error'>;
  filters: Reply<'image'> | Reply<'error'>;
  job: Reply<'done'> | Reply<'cancelled'> | Reply<'error'>;
  /** The cancel request itself is answered 'ok' at once; the job it names then ends with 'cancelled'. */
  cancel: Reply<'ok'> | Reply<'error'>;
  bench: Reply<'bench'> | Reply<'error'>;
  memory: Reply<'memory'> | Reply<'error'>;
  'own-model': Reply<'own-model-stored'> | Reply<'error'>;
  'teach-example': Reply<'teach-state'> | Reply<'error'>;
  'teach-forget': Reply<'teach-state'> | Reply<'error'>;
  simulate: Reply<'ok'> | Reply<'error'>;
}

/** The reply type of request type `T`. */
export type ReplyTo<T extends WorkerRequest['type']> = ReplyMap[T];

/** Compile-time check that every request type has its entry in ReplyMap (this line fails to compile otherwise). */
export const REPLY_MAP_COMPLETE: [Exclude<WorkerRequest['type'], keyof ReplyMap>] extends [never] ? true : never = true;

/** Buffers worth transferring instead of copying. */
export function transferables(message: WorkerResponse): ArrayBuffer[] {
  const buffers: ArrayBufferLike[] = [];
  if (message.type === 'frame') {
    if (message.frame.activations) buffers.push(message.frame.activations.data.buffer);
    if (message.frame.heatmap) buffers.push(message.frame.heatmap.data.buffer);
    if (message.frame.perturbed) buffers.push(message.frame.perturbed.picture.data.buffer);
  } else if (message.type === 'image') {
    buffers.push(message.image.data.buffer);
  } else if (message.type === 'done') {
    if (message.result.kind === 'explain') {
      buffers.push(message.result.heatmap.data.buffer);
      if (message.result.signed) buffers.push(message.result.signed.buffer);
    }
    if (message.result.kind === 'top-patches') buffers.push(message.result.grid.data.buffer);
    if (message.result.kind === 'neuron-views') buffers.push(message.result.guided.data.buffer);
    if (message.result.kind === 'segment') buffers.push(message.result.mask.data.buffer);
    if (message.result.kind === 'sanity') buffers.push(message.result.original.data.buffer, ...message.result.steps.map((s) => s.heatmap.data.buffer));
  }
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
