import type { ChannelStats } from '../activation-maps';
import type { Prediction } from '../classify';
import type { CropRect, FitMode } from '../preprocess';

/** Settings and results of the live pipeline, free of TensorFlow.js so the page can import them. */

export const LIVE_VIEWS = ['activations', 'saliency', 'gradcam', 'occlusion', 'filters'] as const;
export type LiveView = (typeof LIVE_VIEWS)[number];
export const SALIENCY_KINDS = ['vanilla', 'guided', 'smoothgrad'] as const;
export type SaliencyKind = (typeof SALIENCY_KINDS)[number];

export interface LiveSettings {
  view: LiveView;
  /** Layer shown by the activation grid (and tapped in every pass). */
  layer: string;
  saliency: SaliencyKind;
  /** Class explained by saliency, Grad-CAM and occlusion: the top class of each frame, or a fixed index. */
  target: 'top' | number;
  fit: FitMode;
  occlusion: { patch: number; stride: number; batchSize: number; batchesPerFrame: number };
  /** Mean absolute change of the model input (range 2) above which the occlusion map starts over. */
  sceneChange: number;
  /** Noisy copies per frame for live SmoothGrad (batched into the one pass). */
  smoothSamples: number;
  /** Also return the pooled feature vector (e.g. to place the live frame on the gallery map). */
  features: boolean;
  /** Add the universal perturbation (when one was computed) to every frame before the network sees it. */
  perturb: boolean;
}

export const DEFAULT_LIVE_SETTINGS: LiveSettings = {
  view: 'activations',
  layer: 'conv_pw_3_relu',
  saliency: 'vanilla',
  target: 'top',
  fit: 'center-crop',
  occlusion: { patch: 56, stride: 28, batchSize: 8, batchesPerFrame: 1 },
  sceneChange: 0.12,
  smoothSamples: 4,
  features: false,
  perturb: false,
};

export interface LiveHeatmap {
  width: number;
  height: number;
  /** Normalised to [0, 1]. */
  data: Float32Array;
}

export interface LiveFrame {
  top5: Prediction[];
  crop: CropRect;
  target: { index: number; label: string };
  activations: { layer: string; shape: [number, number, number]; data: Float32Array; channels: ChannelStats[] } | undefined;
  heatmap: LiveHeatmap | undefined;
  /** Share of the occlusion sweep done (occlusion view only). */
  occlusionProgress: number | undefined;
  /** The pooled feature vector, when `features` was asked for. */
  features: Float32Array | undefined;
  /** Milliseconds per stage of this frame. */
  stages: Record<string, number>;
}
