/**
 * Every attribution method's declared defaults, display rule and name shown to people — TensorFlow.js-free, so the
 * page can import it; the methods, the CLI, the worker's jobs and the live view all read these and nothing else.
 */
import type { GradCamOptions } from './gradcam';
import type { IntegratedGradientsOptions } from './integrated-gradients';
import type { LimeOptions } from './lime';
import type { Fill, ScoreKind } from './masking';
import type { OcclusionOptions } from './occlusion';
import type { ShapleyOptions } from './shapley';
import type { SmoothGradOptions } from './smoothgrad';
import type { AttributionOptions, DisplaySpec } from './types';

/** The attribution methods by CLI / job name. */
export const ATTRIBUTION_METHOD_NAMES = ['saliency', 'guided', 'smoothgrad', 'smoothgrad-guided', 'integrated-gradients', 'gradcam', 'occlusion', 'shapley', 'lime'] as const;
/** One of ATTRIBUTION_METHOD_NAMES: the key of ATTRIBUTION_METHODS, METHOD_INFO and MethodSettings. */
export type AttributionMethodName = (typeof ATTRIBUTION_METHOD_NAMES)[number];

/** Gradient maps are spiky: the display saturates the top 1 % (99th percentile → 1). */
export const GRADIENT_DISPLAY: DisplaySpec = Object.freeze({ percentile: 99 });

/** SmoothGrad's forms, in the literature's terms. */
export const SMOOTHGRAD_FORMS = ['smoothgrad', 'smoothgrad-squared', 'mean-of-maps'] as const;
/**
 * - `smoothgrad` (default; Smilkov et al. 2017, eq. 2, and PAIR's reference code `GetSmoothedMask`): average the
 *   signed gradients of the noisy copies, then take the map (max over RGB of |mean gradient|).
 * - `smoothgrad-squared` ("SmoothGrad²", Hooker et al. 2019; PAIR's `magnitude=True`): average the squared
 *   gradients, then take the map (max over RGB of mean g²).
 * - `mean-of-maps`: average the finished per-copy maps (max over RGB of |g| each) — what ConvLens did before;
 *   brighter peaks, correlates only 0.6–0.8 with the paper's form on the same noise.
 */
export type SmoothGradForm = (typeof SMOOTHGRAD_FORMS)[number];

/** SmoothGrad's settings (Smilkov et al. 2017). */
export interface SmoothingSettings {
  /** Noisy copies averaged, ≥ 1 (the paper uses 50; 16 removes most speckle). */
  samples: number;
  /**
   * Noise level: σ as a fraction of the input's value range, σ = noise × (max(x) − min(x)), as the paper defines
   * it ("noise level σ/(x_max − x_min)", 10–20 % recommended) and its reference code computes it per image. A
   * photo spanning the whole model range [−1, 1] gets σ = 2 × noise.
   */
  noise: number;
  /** Copy i uses the Gaussian stream of seed `seed + i`, so the same seed gives the same noise however batched. */
  seed: number;
  form: SmoothGradForm;
}

/** SmoothGrad defaults (declared once; the CLI, the worker's jobs and the app read them). */
export const SMOOTHGRAD_DEFAULTS: Readonly<SmoothingSettings & { batchSize: number }> = Object.freeze({
  samples: 16,
  noise: 0.15,
  seed: 0,
  form: 'smoothgrad',
  /** Noisy copies per differentiable pass. */
  batchSize: 8,
});

/** Grad-CAM's map is smooth (bilinear upsampling of a 7×7 map): shown up to its maximum. */
export const GRADCAM_DISPLAY: DisplaySpec = Object.freeze({ percentile: 100 });

/** Occlusion defaults (Zeiler & Fergus 2014 slide a grey square): declared once, read by the CLI, jobs and app. */
export const OCCLUSION_DEFAULTS = Object.freeze({
  /** Side of the square occluder, model-input pixels (of 224). */
  patch: 56,
  /** Step between occluder positions, model-input pixels. */
  stride: 28,
  fill: 'gray' as Fill,
  /** Occluded images per forward pass. */
  batchSize: 16,
  score: 'probability' as ScoreKind,
});

/** Fine occlusion: a smaller patch on a dense grid (625 positions) — the jobs' "more detail" (OCCLUSION_JOB). */
export const FINE_OCCLUSION = Object.freeze({ ...OCCLUSION_DEFAULTS, patch: 32, stride: 8 });

/** Occlusion maps are smooth averages of score drops: shown up to their maximum. */
export const OCCLUSION_DISPLAY: DisplaySpec = Object.freeze({ percentile: 100 });

/** Shapley defaults: declared once, read by the CLI, jobs and app. */
export const SHAPLEY_DEFAULTS = Object.freeze({
  grid: 4,
  permutations: 8,
  fill: 'gray' as Fill,
  batchSize: 16,
  seed: 0,
  score: 'logit' as ScoreKind,
});

/** Fine Shapley values: a finer grid (36 cells) and more permutations — the jobs' "more detail" (SHAPLEY_JOB). */
export const FINE_SHAPLEY = Object.freeze({ ...SHAPLEY_DEFAULTS, grid: 6, permutations: 12 });

/** Shapley maps are piecewise constant per cell: shown up to their maximum. */
export const SHAPLEY_DISPLAY: DisplaySpec = Object.freeze({ percentile: 100 });

/**
 * LIME defaults (Ribeiro et al. 2016; the reference implementation's lime_image / lime_base): declared once, read
 * by the CLI, jobs and app.
 */
export const LIME_DEFAULTS = Object.freeze({
  /** SLIC superpixels asked for (src/core/superpixels.ts); each is one interpretable feature. */
  superpixels: 50,
  /** SLIC compactness (the paper's m for CIELAB). */
  compactness: 10,
  /** Perturbed samples scored, the unperturbed picture included (the reference's num_samples is 1000). */
  samples: 500,
  /** Width of the exponential kernel on the cosine distance to the unperturbed picture (the reference's 0.25). */
  kernelWidth: 0.25,
  /** L2 penalty of the weighted ridge fit (the reference fits scikit-learn's Ridge(alpha=1)). */
  ridge: 1,
  /** Share of the samples held out of the fit to measure how well the linear model predicts the network (R²). */
  heldOut: 0.2,
  /** What a switched-off superpixel shows: mid-grey (model-space 0, the reference's hide_color=0). */
  fill: 'gray' as Fill,
  /**
   * The score explained: the class's logit. The reference explains classifier_fn's probabilities, but the softmax
   * saturates and a linear model in the on/off vector fits it far worse: held-out R² 0.26 for the probability vs
   * 0.71 for the logit on coffee.png (lite model, 150 samples, 47 superpixels; README "LIME").
   */
  score: 'logit' as ScoreKind,
  /** Perturbed pictures per forward pass. */
  batchSize: 16,
  seed: 0,
  /** Superpixels shown and listed (the reference's num_features in its examples). */
  topK: 5,
  /**
   * Held-out R² below which the app gives no object/background verdict: the linear model then does not predict the
   * network (a fake camera's test pattern gave −0.72, and the verdict flipped between runs), so its weights say
   * little. Photos with one object gave 0.68–0.83.
   */
  minR2ForVerdict: 0.3,
});

/** LIME maps are piecewise constant per superpixel: shown up to their maximum. */
export const LIME_DISPLAY: DisplaySpec = Object.freeze({ percentile: 100 });

/** Integrated Gradients defaults: declared once, read by the CLI, jobs and app. */
export const INTEGRATED_GRADIENTS_DEFAULTS = Object.freeze({
  /** Adaptive steps (no `steps` given) start with this many midpoints … */
  startSteps: 32,
  /** … and refine ×3 (reusing every gradient) up to this many (32 · 3³), ~27× the cost of the start. */
  maxSteps: 864,
  /** … until the relative completeness gap |Σ attributions − (F(x) − F(x′))| / |F(x) − F(x′)| is at most this. */
  tolerance: 0.05,
  baseline: 'black' as 'black' | 'gray',
  /** Interpolated images per gradient pass. */
  batchSize: 8,
});

/** IG maps are spiky like gradients: the display saturates the top 1 %. */
export const INTEGRATED_GRADIENTS_DISPLAY: DisplaySpec = Object.freeze({ percentile: 99 });


/** The options that distinguish each method (everything but the target, cancellation and progress). */
type Settings<O extends AttributionOptions> = Omit<O, keyof AttributionOptions>;

/** Each method's own settings, by name: what the CLI parses and what a worker job may carry (all optional). */
export interface MethodSettings {
  saliency: Record<never, never>;
  guided: Record<never, never>;
  smoothgrad: Settings<SmoothGradOptions>;
  'smoothgrad-guided': Settings<SmoothGradOptions>;
  'integrated-gradients': Settings<IntegratedGradientsOptions>;
  gradcam: Settings<GradCamOptions>;
  occlusion: Settings<OcclusionOptions>;
  shapley: Settings<ShapleyOptions>;
  lime: Settings<LimeOptions>;
}

/** What people are shown about each method, its defaults and how its map is displayed — declared once. */
export interface MethodInfo<N extends AttributionMethodName = AttributionMethodName> {
  /** Name shown to people. */
  label: string;
  /** The paper it follows. */
  source: string;
  /** The defaults of its settings (those it has). */
  defaults: Readonly<MethodSettings[N]>;
  display: DisplaySpec;
}

/**
 * Label, paper, defaults and display rule of every attribution method, by name, declared once: the label and source
 * are what people are shown, and the display rule is what finished maps are normalised by (attribution/index.ts).
 */
export const METHOD_INFO: { readonly [N in AttributionMethodName]: MethodInfo<N> } = {
  saliency: { label: 'Gradient saliency', source: 'Simonyan et al. 2014', defaults: {}, display: GRADIENT_DISPLAY },
  guided: { label: 'Guided backprop', source: 'Springenberg et al. 2015', defaults: {}, display: GRADIENT_DISPLAY },
  smoothgrad: { label: 'SmoothGrad', source: 'Smilkov et al. 2017', defaults: SMOOTHGRAD_DEFAULTS, display: GRADIENT_DISPLAY },
  'smoothgrad-guided': { label: 'SmoothGrad of guided backprop', source: 'Smilkov et al. 2017', defaults: SMOOTHGRAD_DEFAULTS, display: GRADIENT_DISPLAY },
  'integrated-gradients': { label: 'Integrated gradients', source: 'Sundararajan et al. 2017', defaults: INTEGRATED_GRADIENTS_DEFAULTS, display: INTEGRATED_GRADIENTS_DISPLAY },
  gradcam: { label: 'Grad-CAM', source: 'Selvaraju et al. 2017', defaults: {}, display: GRADCAM_DISPLAY },
  occlusion: { label: 'Occlusion', source: 'Zeiler & Fergus 2014', defaults: OCCLUSION_DEFAULTS, display: OCCLUSION_DISPLAY },
  shapley: { label: 'Shapley values', source: 'Castro et al. 2009 (sampling), Lundberg & Lee 2017', defaults: SHAPLEY_DEFAULTS, display: SHAPLEY_DISPLAY },
  lime: { label: 'LIME', source: 'Ribeiro et al. 2016', defaults: LIME_DEFAULTS, display: LIME_DISPLAY },
};


/**
 * How much work an on-demand job does: `default` is sized to finish in under a minute with the lite model on a
 * 2-core machine without a GPU (measured: README, "How long jobs take"); `detail` is the lecturer's "more detail"
 * (the app's toggle, the CLI's `--more-detail`), several times longer.
 */
export type JobDetail = 'default' | 'detail';

/** A job's settings at each level of detail. */
export type JobPresets<T> = Readonly<Record<JobDetail, Readonly<T>>>;

/**
 * Occlusion of a frozen frame: a 48-pixel patch every 28 pixels (64 positions; the live view sweeps 49, 56
 * pixels every 28), or the fine grid (32 every 8, 625 positions).
 */
export const OCCLUSION_JOB: JobPresets<Settings<OcclusionOptions>> = Object.freeze({ default: Object.freeze({ ...OCCLUSION_DEFAULTS, patch: 48, stride: 28 }), detail: FINE_OCCLUSION });

/** Seconds the default integrated-gradients job may spend on gradients (see integratedGradientsJobSteps). */
export const IG_JOB_BUDGET_S = 45;

/**
 * The default IG job's step cap on this device: the largest stage of the adaptive refinement (32, 96, 288, 864)
 * whose gradients fit IG_JOB_BUDGET_S at `gradientMs` per image — the measured live saliency frame (one image,
 * forward + gradient + read-back, ms; batched steps cost less, so this errs long). 32 when nothing was measured.
 * On this 2-core machine (0.5–1 s per frame) that is 32; on a GPU (tens of ms) the full refinement, so the gap
 * stays under 5 % there by default.
 */
export function integratedGradientsJobSteps(gradientMs: number | undefined): number {
  const { startSteps, maxSteps } = INTEGRATED_GRADIENTS_DEFAULTS;
  let steps = startSteps;
  if (gradientMs === undefined || !(gradientMs > 0)) return steps;
  while (steps * 3 <= maxSteps && ((steps * 3 * gradientMs) / 1000) <= IG_JOB_BUDGET_S) steps *= 3;
  return steps;
}

/** Shapley values of a frozen frame: 4×4 cells and 4 permutations (62 evaluations), or 6×6 and 12 (422). */
export const SHAPLEY_JOB: JobPresets<Settings<ShapleyOptions>> = Object.freeze({ default: Object.freeze({ ...SHAPLEY_DEFAULTS, permutations: 4 }), detail: FINE_SHAPLEY });

/**
 * Integrated gradients of a frozen frame: by default 32 steps where nothing faster was measured (the result states
 * the completeness gap; the app raises the cap where the device is fast enough, see integratedGradientsJobSteps),
 * or the method's adaptive refinement until the gap is under 5 % (32 → 96 → 288 → 864 steps).
 */
export const INTEGRATED_GRADIENTS_JOB: JobPresets<Settings<IntegratedGradientsOptions>> = Object.freeze({
  default: Object.freeze({ maxSteps: INTEGRATED_GRADIENTS_DEFAULTS.startSteps }),
  detail: Object.freeze({}),
});

/**
 * LIME of a frozen frame: 150 perturbed samples by default (under a minute with the lite model on a 2-core CPU,
 * README "LIME"), or the method's default 500 for "more detail".
 */
export const LIME_JOB: JobPresets<Settings<LimeOptions>> = Object.freeze({ default: Object.freeze({ samples: 150 }), detail: Object.freeze({}) });
