/**
 * Declared defaults of multifaceted feature visualisation (Nguyen, Yosinski & Clune 2016; multifaceted.ts) —
 * TensorFlow.js-free, so the page can import them; the core function, the CLI's `facets` command and the app's
 * "Facets of the class" job all read these.
 */
export const MULTIFACETED_DEFAULTS = Object.freeze({
  /** Gallery images that score highest for the class (or channel) and are clustered into facets. */
  topN: 20,
  /** Facets: k of the k-means over the top images' pooled features. */
  facets: 3,
  /** Gradient steps per facet. */
  steps: 30,
  /** Seed of the k-means++ start and of the jitter offsets. */
  seed: 1,
});

/**
 * The centre-biased update (multifaceted.ts centreBias): the update is blurred with σ going linearly from
 * `blurStart` to `blurEnd` pixels over the run, and only a centred disc of the image is updated, its radius (in
 * units of half the image side) growing linearly from `radiusStart` to `radiusEnd` by `expandBy` of the run (1.5
 * covers the corners); `edge` is the width of its soft edge in the same units.
 */
export const CENTRE_BIAS_DEFAULTS = Object.freeze({ blurStart: 3, blurEnd: 1, radiusStart: 0.4, radiusEnd: 1.5, expandBy: 0.8, edge: 0.25 });

/** The app's facet job at each level of detail (JobDetail): steps per facet and facets. */
export const FACETS_JOB = Object.freeze({
  default: Object.freeze({ steps: 20, facets: 3 }),
  detail: Object.freeze({ steps: MULTIFACETED_DEFAULTS.steps, facets: 4 }),
});
