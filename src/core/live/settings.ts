import type { ChannelStats } from '../activation-maps';
import { type AttributionMethodName, OCCLUSION_DEFAULTS, SMOOTHGRAD_DEFAULTS } from '../attribution/defaults';
import type { Prediction } from '../classify';
import type { CropRect, FitMode } from '../preprocess';

/** Settings and results of the live pipeline, free of TensorFlow.js so the page can import them. */

export const LIVE_VIEWS = ['activations', 'saliency', 'gradcam', 'occlusion', 'filters'] as const;
export type LiveView = (typeof LIVE_VIEWS)[number];
export const SALIENCY_KINDS = ['vanilla', 'guided', 'smoothgrad'] as const;
export type SaliencyKind = (typeof SALIENCY_KINDS)[number];

/** The core attribution method behind each live saliency kind (its label, defaults and display rule). */
export const SALIENCY_METHOD = { vanilla: 'saliency', guided: 'guided', smoothgrad: 'smoothgrad' } as const satisfies Record<SaliencyKind, AttributionMethodName>;

/** The attribution method a live view shows with these settings (undefined for views without a map). */
export function liveMethod(settings: Pick<LiveSettings, 'view' | 'saliency'>): AttributionMethodName | undefined {
  if (settings.view === 'saliency') return SALIENCY_METHOD[settings.saliency];
  if (settings.view === 'gradcam' || settings.view === 'occlusion') return settings.view;
  return undefined;
}

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
  /**
   * Noisy copies per frame for live SmoothGrad, batched into the one pass with the clean frame; noise level, seed
   * and form are SmoothGrad's declared defaults (SMOOTHGRAD_DEFAULTS), so the live map is the CLI's map.
   */
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
  // Occlusion's declared patch, stride and fill; fewer occluded copies per pass keep a frame short.
  occlusion: { patch: OCCLUSION_DEFAULTS.patch, stride: OCCLUSION_DEFAULTS.stride, batchSize: 8, batchesPerFrame: 1 },
  sceneChange: 0.12,
  smoothSamples: Math.min(4, SMOOTHGRAD_DEFAULTS.samples),
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
