import type { ChannelStats } from '../activation-maps';
import { type AttributionMethodName, OCCLUSION_DEFAULTS, SMOOTHGRAD_DEFAULTS } from '../attribution/defaults';
import type { Prediction } from '../classify';
import type { CropRect, FitMode, RgbaImage } from '../preprocess';

/** Settings and results of the live pipeline, free of TensorFlow.js so the page can import them. */

export const LIVE_VIEWS = ['activations', 'saliency', 'gradcam', 'occlusion', 'filters'] as const;
/**
 * One of LIVE_VIEWS, the live pipeline's views: the activation grid of a layer, a saliency map, Grad-CAM, occlusion
 * spread over frames, or a layer's learned filters.
 */
export type LiveView = (typeof LIVE_VIEWS)[number];
/**
 * The live saliency maps: vanilla gradient (Simonyan et al. 2014), guided backprop (Springenberg et al. 2015),
 * SmoothGrad (Smilkov et al. 2017); SALIENCY_METHOD maps each to its core method.
 */
export const SALIENCY_KINDS = ['vanilla', 'guided', 'smoothgrad'] as const;
/** One of SALIENCY_KINDS. */
export type SaliencyKind = (typeof SALIENCY_KINDS)[number];

/** The core attribution method behind each live saliency kind (its label, defaults and display rule). */
export const SALIENCY_METHOD = { vanilla: 'saliency', guided: 'guided', smoothgrad: 'smoothgrad' } as const satisfies Record<SaliencyKind, AttributionMethodName>;

/** The attribution method a live view shows with these settings (undefined for views without a map). */
export function liveMethod(settings: Pick<LiveSettings, 'view' | 'saliency'>): AttributionMethodName | undefined {
  if (settings.view === 'saliency') return SALIENCY_METHOD[settings.saliency];
  if (settings.view === 'gradcam' || settings.view === 'occlusion') return settings.view;
  return undefined;
}

/**
 * What the live pipeline computes for each webcam frame, set from the page and sent to the worker: the view, its
 * layer / saliency kind / target, how the frame is fitted to 224 × 224, occlusion's sweep (patch and stride in
 * model-input pixels, occluded copies per pass, batches per frame), when the occlusion map restarts, SmoothGrad's
 * copies per frame, and the extras (features, UAP).
 */
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

/**
 * The settings a kiosk starts with: the activation grid of conv_pw_3_relu, top class, centre crop; occlusion with its
 * declared patch 56 and stride 28 at 8 copies per pass, one batch per frame; scene change 0.12; 4 SmoothGrad copies
 * per frame; no features, no perturbation.
 */
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

/**
 * A live attribution map (saliency, Grad-CAM, occlusion) for the page to colour: width × height values, row-major, at
 * model-input resolution (224 × 224).
 */
export interface LiveHeatmap {
  width: number;
  height: number;
  /** Normalised to [0, 1]. */
  data: Float32Array;
}

/**
 * What a frame with the universal perturbation applied also carries: the picture the network classified (the
 * model's square view + v, clipped; 224×224 RGBA), the clean frame's top class, and that class's probability on the
 * perturbed picture (top5 is the perturbed picture's).
 */
export interface PerturbedView {
  picture: RgbaImage;
  /** Top-1 class of the clean frame, with its probability there. */
  before: Prediction;
  /** Probability of `before`'s class on the perturbed picture, in [0, 1]. */
  beforeAfter: number;
  /** Top-1 class of the perturbed picture (top5[0]). */
  after: Prediction;
}

/**
 * One processed webcam frame, as the worker sends it to the page: the top-5 classes, the crop of the camera image the
 * model saw, the class explained, the tapped layer's activations (activation view), the map (map views), occlusion
 * progress, the pooled features when asked, and per-stage timings in ms. Fields that the current view does not
 * produce are undefined.
 */
export interface LiveFrame {
  top5: Prediction[];
  /** Only when a perturbation was applied (LiveSettings.perturb with a computed one). */
  perturbed?: PerturbedView;
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
