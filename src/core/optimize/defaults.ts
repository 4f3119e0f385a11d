/**
 * The optimisation modes' declared defaults — TensorFlow.js-free, so the page can import them; the modes, the
 * CLI, the worker's jobs and the app all read these. Pixel quantities are in 8-bit levels (0–255).
 */
import type { PresetName } from './presets';

/**
 * The class-visualisation recipe of the app's job, the CLI's `visualize` and visualizeClass: Lucid's decorrelated
 * Fourier parameterisation with random jitter, scale and rotation (Olah et al. 2017), see PRESETS.lucid.
 */
export const DEFAULT_VISUALIZE_PRESET: PresetName = 'lucid';

/** Fooling images (PGD inside an L∞ ball, Madry et al. 2018): ε in pixel levels, and the step budget. */
export const FOOL_DEFAULTS = Object.freeze({ eps: 8, steps: 40 });

/** DeepFool (Moosavi-Dezfooli et al. 2016), the inner attack of universal perturbations. */
export const DEEPFOOL_DEFAULTS = Object.freeze({ candidates: 10, overshoot: 0.02, maxIterations: 10 });

/** Universal adversarial perturbations (Moosavi-Dezfooli et al. 2017): ε in pixel levels, passes, fooling rate sought. */
export const UAP_DEFAULTS = Object.freeze({ eps: 10, maxPasses: 5, targetRate: 0.8 });

/**
 * The app's universal perturbation of the gallery with "more detail" (UAP_JOB.detail): fewer passes than the CLI
 * and the quick gradient attack (signed steps of 1 level, at most 10 per picture) instead of DeepFool.
 */
export const UAP_GALLERY_JOB = Object.freeze({ eps: UAP_DEFAULTS.eps, maxPasses: 3, stepSize: 1, maxSteps: 10 });

/** The adversarial − original difference is shown magnified this many times around mid-grey, as the lecture does. */
export const DIFFERENCE_GAIN = 10;

/**
 * The app's on-demand generating jobs at each level of detail (see JobDetail in ../attribution/defaults.ts):
 * `default` finishes in under a minute with the lite model on a 2-core machine without a GPU; `detail` is the
 * lecturer's "more detail". Class visualisation: gradient steps of DEFAULT_VISUALIZE_PRESET (40: the budget at which
 * 5 of 6 lite-made pictures are in the standard model's top 5, bench/classvis.bench.ts; the presets' own budget is
 * 40 too). Universal
 * perturbation: passes over the gallery and signed steps per picture (UAP_GALLERY_JOB is the detailed one).
 */
export const VISUALIZE_JOB = Object.freeze({ default: Object.freeze({ steps: 40 }), detail: Object.freeze({ steps: 100 }) });

/** Seconds the default class-visualisation job aims at (the app's jobs are sized for about a minute). */
export const VISUALIZE_JOB_BUDGET_S = 45;
/**
 * One step of the Lucid recipe in live gradient frames: the network's gradient pass plus the Fourier image, its
 * pullback and the resampling; about 2–3 on the CPU backend (lite: 0.65 s for the pass, 1.5–2 s per step, loaded
 * 2-core machine), less on a GPU. Sizing errs short.
 */
export const VISUALIZE_STEP_FRAMES = 2.5;

/**
 * The default class-visualisation job's steps on this device: VISUALIZE_JOB.default.steps (40) where they fit
 * VISUALIZE_JOB_BUDGET_S at `gradientMs` per live gradient frame (ms, measured by the worker) × VISUALIZE_STEP_FRAMES,
 * else fewer, down to 20 (a slower picture rather than an unrecognisable one). 40 when nothing was measured; a GPU
 * (tens of ms per frame) always gets 40.
 */
export function visualizeJobSteps(gradientMs: number | undefined): number {
  const steps = VISUALIZE_JOB.default.steps;
  if (gradientMs === undefined || !(gradientMs > 0)) return steps;
  return Math.max(20, Math.min(steps, Math.floor((VISUALIZE_JOB_BUDGET_S * 1000) / (gradientMs * VISUALIZE_STEP_FRAMES))));
}
/**
 * The gallery's universal perturbation: 1 pass of at most 5 signed steps per picture on 7 of the gallery's
 * pictures, or UAP_GALLERY_JOB on 16. The default gallery has 190 pictures; all of them would take about 27 times
 * as long, so the job trains on that many (gallery.ts trainingPictures: the sample and stored pictures first, so
 * the default trains on the 7 sample pictures as before the photo set; an 8th picture — a photo — after the
 * camera's sample picture undid the single pass's effect on that camera frame in e2e/optimize.spec.ts).
 */
export const UAP_JOB = Object.freeze({
  default: Object.freeze({ ...UAP_GALLERY_JOB, maxPasses: 1, maxSteps: 5, pictures: 7 }),
  detail: Object.freeze({ ...UAP_GALLERY_JOB, pictures: 16 }),
});
