import type { ConvNet } from '../network';
import type { CropRect, ModelInput } from '../preprocess';
import type { Target, TargetChoice } from '../target';

export type { Target, TargetChoice } from '../target';

/**
 * What an attribution explains: a class score (the logit, before softmax), the mean activation of one channel of
 * a layer, or one neuron (channel at a spatial position) of a layer. Kept as an alias of the core's one Target.
 */
export type AttributionTarget = Target;

/** Options every attribution method takes; each method extends them with its own settings (MethodSettings). */
export interface AttributionOptions {
  /** What to explain; 'top' = the input's top class, resolved by the method (reported in the map's `target`). */
  target: TargetChoice;
  /** Cancels long methods between batches; they reject with an AbortError. */
  signal?: AbortSignal | undefined;
  /**
   * Size the batched methods' passes (occlusion, Shapley, integrated gradients) by time: each pass within this many
   * ms where one image allows, at most `batchSize` (src/core/pacing.ts), so a cancel acts quickly on a slow backend.
   * The worker's jobs set UNIT_BUDGET_MS. Unset: fixed batches of `batchSize` (fastest on the CPU backend, where a
   * gradient batch of 4 costs about half as much per image as single images).
   */
  paceMs?: number | undefined;
  /** Called after each batch of work with the work done so far and the total (method-specific units). */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** A non-negative importance map at model-input resolution, and where it sits in the original image. */
export interface AttributionMap {
  /** The method that made the map (its AttributionMethodName, e.g. 'gradcam'). */
  method: string;
  /** Map width in model-input pixels (224 for MobileNet v1). */
  width: number;
  /** Map height in model-input pixels (224 for MobileNet v1). */
  height: number;
  /** Importance ≥ 0, row-major, width × height. */
  data: Float32Array;
  /** For methods whose raw output has a sign (IG, occlusion, Shapley): the signed per-pixel values. */
  signed?: Float32Array;
  /** The crop rectangle of the original image that the model saw (the map covers exactly this). */
  crop: CropRect;
  /** The target explained ('top' resolved to its class). */
  target: Target;
  /** Method-specific numbers worth showing (e.g. IG completeness, Shapley cell values). */
  extras?: Record<string, number | number[]>;
}

/** The one signature every attribution method has (PAIR saliency / Captum style). */
export type AttributionMethod<O extends AttributionOptions = AttributionOptions> = (
  net: ConvNet,
  input: ModelInput,
  options: O,
) => Promise<AttributionMap>;

/**
 * How a method's map is shown (CLI overlays, the app's jobs and live views alike): values at or above this
 * percentile of the map map to 1, the rest scale linearly from 0. Gradient maps are spiky and use 99.
 */
export interface DisplaySpec {
  /** Percentile in (0, 100] of the map's values shown as full intensity (99 for gradient maps, 100 = the maximum). */
  percentile: number;
}
