/**
 * The optimisation modes' declared defaults — TensorFlow.js-free, so the page can import them; the modes, the
 * CLI, the worker's jobs and the app all read these. Pixel quantities are in 8-bit levels (0–255).
 */

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
 * lecturer's "more detail". Class visualisation: gradient steps (the presets' own budget is 40). Universal
 * perturbation: passes over the gallery and signed steps per picture (UAP_GALLERY_JOB is the detailed one).
 */
export const VISUALIZE_JOB = Object.freeze({ default: Object.freeze({ steps: 30 }), detail: Object.freeze({ steps: 80 }) });
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
