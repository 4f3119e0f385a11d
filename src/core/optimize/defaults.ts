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
 * Share of the gallery's pictures (per stratum: galleryStratum) held out of universal-perturbation training, to
 * measure the fooling rate on pictures the perturbation was not made on.
 */
export const UAP_HELD_OUT_SHARE = 0.3;

/**
 * Stochastic universal perturbation (uap-sgd.ts): ε 10 levels; `steps` signed gradient steps on mini-batches of
 * `batchSize` augmented views, the step falling linearly from `stepSize` to `finalStepSize` levels; per-view loss
 * clipped at `lossClip` nats; views are crops of 60–100 % of the side (aspect up to 4:3), flipped half of the time.
 */
export const UAP_SGD_DEFAULTS = Object.freeze({
  eps: 10,
  steps: 60,
  batchSize: 8,
  stepSize: 2,
  finalStepSize: 0.5,
  lossClip: 9,
  seed: 0,
  augment: Object.freeze({ minScale: 0.6, maxScale: 1, maxAspect: 4 / 3, flip: 0.5 }),
});

/** Steps of the precomputed gallery perturbations (scripts/gallery-uap.ts), per model. */
export const UAP_PRECOMPUTED_STEPS = Object.freeze({ lite: 40, standard: 40 });

/**
 * Moosavi-Dezfooli's algorithm with the quick gradient attack (signed steps of 1 level, at most 10 per picture)
 * instead of DeepFool and 3 passes: the reference configuration bench/uap.bench.ts and bench/gpu.bench.ts time
 * (the app's default became the stochastic method: UAP_SGD_DEFAULTS, UAP_JOB).
 */
export const UAP_GALLERY_JOB = Object.freeze({ eps: UAP_DEFAULTS.eps, maxPasses: 3, stepSize: 1, maxSteps: 10 });

/** The adversarial − original difference is shown magnified this many times around mid-grey, as the lecture does. */
export const DIFFERENCE_GAIN = 10;

/**
 * The app's on-demand generating jobs at each level of detail (see JobDetail in ../attribution/defaults.ts):
 * `default` finishes in under a minute with the lite model on a 2-core machine without a GPU; `detail` is the
 * lecturer's "more detail". Class visualisation: gradient steps of DEFAULT_VISUALIZE_PRESET — 40 for the CLI and
 * whenever the device's speed is unknown (the budget at which 5 of 6 pictures made by one MobileNet width are in
 * the other's top 5, both ways, bench/classvis.bench.ts), `maxSteps` where the app's job has the time
 * (visualizeJobSteps: the flamingo becomes pink birds with curved necks by 100), `detail` 200.
 */
export const VISUALIZE_JOB = Object.freeze({ default: Object.freeze({ steps: 40, maxSteps: 100 }), detail: Object.freeze({ steps: 200 }) });

/** Seconds the default class-visualisation job aims at (the app's jobs are sized for about a minute). */
export const VISUALIZE_JOB_BUDGET_S = 45;
/**
 * One step of the Lucid recipe in the worker's measured gradient frames (the backend probe's timing of one live
 * gradient pass). In the app (headless Chromium, CPU backend, lite, this 2-core machine) a step took 0.62 s against
 * a measured frame of 0.76 s (0.82 frames: the probe's frame includes the live view's work); in Node 1.5–1.7 plain
 * gradient passes (0.44–0.50 s against 0.30 s: the Fourier image, its pullback and one resampling). 1.0 errs short.
 */
export const VISUALIZE_STEP_FRAMES = 1;

/**
 * The default class-visualisation job's steps on this device: as many as fit VISUALIZE_JOB_BUDGET_S at `gradientMs`
 * per measured gradient frame (ms, from the worker's backend probe) × VISUALIZE_STEP_FRAMES, at most
 * VISUALIZE_JOB.default.maxSteps (100) and at least 20 (a slower picture rather than an unrecognisable one);
 * VISUALIZE_JOB.default.steps (40) when nothing was measured. A GPU (tens of ms per frame) gets 100.
 */
export function visualizeJobSteps(gradientMs: number | undefined): number {
  const { steps, maxSteps } = VISUALIZE_JOB.default;
  if (gradientMs === undefined || !(gradientMs > 0)) return steps;
  return Math.max(20, Math.min(maxSteps, Math.floor((VISUALIZE_JOB_BUDGET_S * 1000) / (gradientMs * VISUALIZE_STEP_FRAMES))));
}
/**
 * The gallery's universal perturbation made in the app (stochasticUniversalPerturbation on the training split,
 * UAP_SGD_DEFAULTS otherwise): `steps` mini-batches of 8 augmented views. `default` is what runs when the loaded
 * model has no shipped precomputed perturbation (an own model, a taught head, or ε other than 10) and takes about a
 * minute with the lite model on the CPU backend, evaluation of both splits included; `detail` trains about 3× longer.
 */
export const UAP_JOB = Object.freeze({
  default: Object.freeze({ eps: UAP_SGD_DEFAULTS.eps, steps: 10 }),
  detail: Object.freeze({ eps: UAP_SGD_DEFAULTS.eps, steps: 30 }),
});

/**
 * The row of layers "what each depth keeps" inverts, shallow to deep (Mahendran & Vedaldi 2015, Fig. 6 inverts
 * every layer of AlexNet; MobileNet v1's pointwise ReLU6 outputs at strides 2, 4, 8, 16 and 32). Models without
 * these names get five spatial layers spread evenly over their depth (invertRowLayers in invert.ts).
 */
export const INVERT_ROW_LAYERS = Object.freeze(['conv_pw_1_relu', 'conv_pw_3_relu', 'conv_pw_5_relu', 'conv_pw_9_relu', 'conv_pw_13_relu'] as const);

/**
 * Gradient steps per layer of the app's inversion row and of `invert --layers` (the 'yosinski' preset): `default`
 * keeps the five-layer row (plus the chosen layer) under a minute with the lite model on a 2-core CPU; `detail` is
 * "more detail". The deep layers need the most steps: their features match slowest.
 */
export const INVERT_JOB = Object.freeze({ default: Object.freeze({ steps: 16 }), detail: Object.freeze({ steps: 60 }) });

/**
 * The app's "three views of one neuron" (guided backprop, channel visualisation, top gallery patches): gradient
 * steps of the channel visualisation, and how many gallery patches.
 */
export const NEURON_VIEWS_JOB = Object.freeze({ default: Object.freeze({ steps: 30, k: 6 }), detail: Object.freeze({ steps: 80, k: 9 }) });

/**
 * The preset of the inversion row (invertRow, the app's job, `invert --layers`): 'l2' (an L2 image prior, the α = 2
 * case of Mahendran & Vedaldi's norm regulariser). Measured on coffee.png with the lite model, 16 steps: it brought
 * conv_pw_13_relu's features from 1.04 to 0.90 of their norm and conv_pw_9_relu's from 0.30 to 0.09, where
 * 'yosinski' (row 3) reached 1.01 and 0.10 and 'lucid-lite' 0.94 and 0.11.
 */
export const INVERT_ROW_PRESET = 'l2' as const;
