import type { ConvNet } from '../network';
import type { CropRect, ModelInput } from '../preprocess';

/**
 * What an attribution explains: a class score (the logit, before softmax), the mean activation of one channel of
 * a layer, or one neuron (channel at a spatial position) of a layer.
 */
export type AttributionTarget =
  | { kind: 'class'; index: number }
  | { kind: 'channel'; layer: string; channel: number }
  | { kind: 'neuron'; layer: string; channel: number; x: number; y: number };

export interface AttributionOptions {
  target: AttributionTarget;
  /** Cancels long methods between batches; they reject with an AbortError. */
  signal?: AbortSignal;
  /** Called after each batch of work with the share done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** A non-negative importance map at model-input resolution, and where it sits in the original image. */
export interface AttributionMap {
  method: string;
  width: number;
  height: number;
  /** Importance ≥ 0, row-major, width × height. */
  data: Float32Array;
  /** For methods whose raw output has a sign (IG, occlusion, Shapley): the signed per-pixel values. */
  signed?: Float32Array;
  /** The crop rectangle of the original image that the model saw (the map covers exactly this). */
  crop: CropRect;
  /** Method-specific numbers worth showing (e.g. IG completeness, Shapley cell values). */
  extras?: Record<string, number | number[]>;
}

/** The one signature every attribution method has (PAIR saliency / Captum style). */
export type AttributionMethod<O extends AttributionOptions = AttributionOptions> = (
  net: ConvNet,
  input: ModelInput,
  options: O,
) => Promise<AttributionMap>;
