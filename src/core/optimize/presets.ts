import { InvalidInputError } from '../errors';
import type { InitSpec } from './engine';
import { clipSmallContribution, clipSmallNorm, gaussianBlur, jitter, l2Decay, l2Penalty, type Regulariser, totalVariation } from './regularisers';
import { adam, normalizedAscent, type StepRule } from './steps';
import { fourierParameterisation, type Parameterisation } from './parameterisations';
import { randomAffine } from './transforms';
import type { ContrastOptions } from './pixels';

/**
 * The visualisation presets by CLI / job name: 'l2' (Simonyan et al. 2014), 'yosinski' (Yosinski et al. 2015),
 * 'lucid-lite' (Lucid-style transforms on pixels) and 'lucid' (Lucid's decorrelated Fourier parameterisation with
 * its transforms, Olah et al. 2017). See PRESETS.
 */
export const PRESET_NAMES = ['l2', 'yosinski', 'lucid-lite', 'lucid'] as const;
/** One of PRESET_NAMES. */
export type PresetName = (typeof PRESET_NAMES)[number];

/** A visualisation recipe: everything but the objective. Model units: pixels / 127.5 − 1 (0 is mid-grey). */
export interface Preset {
  name: PresetName;
  description: string;
  /** Default step budget (a few seconds on the lite model). */
  steps: number;
  init: InitSpec;
  stepRule(): StepRule;
  regularisers(): Regulariser[];
  /**
   * What the optimiser's variable is (parameterisations.ts); absent: the pixels themselves, kept in [−1, 1] by a
   * projection after every step.
   */
  parameterisation?(size: number): Parameterisation;
  /**
   * Raise the result's contrast for display (raiseContrast, pixels.ts) before it is rounded to 8 bits; only for
   * sigmoid-made images (a parameterisation's). Everything reported (probabilities, ranks) is measured on the raised
   * image, the one shown and saved.
   */
  contrast?: ContrastOptions;
}

/**
 * Yosinski et al. 2015, Table 1: four combinations of (θ_decay, blur σ, blur every, norm percentile, contribution
 * percentile) that "produce different styles of recognizable images".
 */
export const YOSINSKI_TABLE_1 = [
  { decay: 0, blurSigma: 0.5, blurEvery: 4, normPercentile: 50, contributionPercentile: 0 },
  { decay: 0.3, blurSigma: 0, blurEvery: 0, normPercentile: 20, contributionPercentile: 0 },
  { decay: 0.0001, blurSigma: 1.0, blurEvery: 4, normPercentile: 0, contributionPercentile: 0 },
  { decay: 0, blurSigma: 0.5, blurEvery: 4, normPercentile: 0, contributionPercentile: 90 },
] as const;

/**
 * Row 3 is the default: within the few dozen steps a kiosk can afford it gives recognisable objects; rows 1, 2 and
 * 4 (clipping of small-norm / small-contribution pixels) need the hundreds of steps of the paper.
 */
export const YOSINSKI_DEFAULT_ROW = 3;

/** One row of Yosinski et al. 2015, Table 1 (as in YOSINSKI_TABLE_1); a zero switches that regulariser off. */
export interface YosinskiSettings {
  /** θ_decay of the L2 decay x ← (1 − θ)·x after each step, in [0, 1). */
  decay: number;
  /** σ of the Gaussian blur, in pixels (model-input grid). */
  blurSigma: number;
  /** Blur every this many steps (0 = never). */
  blurEvery: number;
  /** Pixels whose RGB norm is below this percentile, in [0, 100), are set to 0 after each step. */
  normPercentile: number;
  /** Pixels whose contribution |Σ over RGB of x · gradient| is below this percentile, in [0, 100), are set to 0. */
  contributionPercentile: number;
}

/** The four Yosinski regularisers for one settings row (a zero switches that regulariser off). */
export function yosinskiRegularisers(s: YosinskiSettings): Regulariser[] {
  const regs: Regulariser[] = [];
  if (s.decay > 0) regs.push(l2Decay(s.decay));
  if (s.blurSigma > 0 && s.blurEvery > 0) regs.push(gaussianBlur({ sigma: s.blurSigma, every: s.blurEvery }));
  if (s.normPercentile > 0) regs.push(clipSmallNorm(s.normPercentile));
  if (s.contributionPercentile > 0) regs.push(clipSmallContribution(s.contributionPercentile));
  return regs;
}

/** The yosinski preset with any row (1–4) of Table 1. */
export function yosinskiPreset(row: number): Preset {
  const settings = YOSINSKI_TABLE_1[row - 1];
  if (!Number.isInteger(row) || settings === undefined) throw new InvalidInputError(`Yosinski settings row must be 1..4, got ${row}`);
  const on = [
    settings.decay > 0 ? `decay ${settings.decay}` : '',
    settings.blurEvery > 0 ? `blur σ ${settings.blurSigma} every ${settings.blurEvery} steps` : '',
    settings.normPercentile > 0 ? `clip pixels below the ${settings.normPercentile}th norm percentile` : '',
    settings.contributionPercentile > 0 ? `clip pixels below the ${settings.contributionPercentile}th contribution percentile` : '',
  ].filter(Boolean);
  return {
    name: 'yosinski',
    description: `Yosinski et al. 2015, Table 1 row ${row}: ${on.join(', ')}; from zeros; normalised ascent, lr 0.05`,
    steps: 40,
    init: { kind: 'zeros' },
    stepRule: () => normalizedAscent(0.05),
    regularisers: () => yosinskiRegularisers(settings),
  };
}

/**
 * Highest frequency of the 'lucid' preset's spectrum, in cycles per image side (waves down to an 8-pixel period on
 * 224): in 40 steps it made pictures the other network width ranks higher than with 56 cycles (lite-made, standard's
 * ranks 1, 1, 1, 1, 1 and 34 against 1, 1, 1, 3, 2 and 116; bench/classvis.bench.ts) at under half the cost of the
 * two basis products.
 */
export const LUCID_MAX_FREQUENCY = 28;

/**
 * The presets by name (PRESET_NAMES): 'l2' (Simonyan et al. 2014), 'yosinski' (Yosinski et al. 2015, Table 1 row
 * YOSINSKI_DEFAULT_ROW) and 'lucid-lite' (Olah et al. 2017's Lucid transforms, cut down). All run on a normalised
 * objective gradient (runPreset sets OptimizeSpec.normalizeGradient), so their weights do not depend on the
 * objective; 'l2' and 'yosinski' take normalised ascent, 'lucid-lite' Adam; rates are in model units per step
 * (0.05 ≈ 6 pixel levels). 40 steps each by default.
 */
export const PRESETS: Record<PresetName, Preset> = {
  l2: {
    name: 'l2',
    description: 'Simonyan et al. 2014: arg max S(I) − λ‖I‖², λ = 0.5; from zeros; normalised ascent, lr 0.05',
    steps: 40,
    init: { kind: 'zeros' },
    stepRule: () => normalizedAscent(0.05),
    regularisers: () => [l2Penalty(0.5)],
  },
  yosinski: yosinskiPreset(YOSINSKI_DEFAULT_ROW),
  'lucid-lite': {
    name: 'lucid-lite',
    description: 'Lucid-style: jitter ±8 px, total variation λ = 4, blur σ 0.5 every 8 steps; from faint noise (σ 0.02); Adam, lr 0.05',
    steps: 40,
    init: { kind: 'noise', std: 0.02 },
    stepRule: () => adam({ lr: 0.05 }),
    regularisers: () => [jitter(8), totalVariation(4), gaussianBlur({ sigma: 0.5, every: 8 })],
  },
  lucid: {
    name: 'lucid',
    description:
      "Lucid (Olah et al. 2017): decorrelated Fourier parameterisation (1/f spectrum up to 28 cycles, sigmoid); each step jitter ±8 px, scale 0.9–1.1, rotate ±10°, jitter ±4 px (one resampling); spectrum from N(0, 0.01²); Adam, lr 0.05; contrast raised for display at the end",
    steps: 40,
    init: { kind: 'noise', std: 0.01 },
    stepRule: () => adam({ lr: 0.05 }),
    regularisers: () => [randomAffine({ scale: [0.9, 1.1], degrees: 10, jitter: [8, 4] })],
    parameterisation: (size) => fourierParameterisation(size, { maxFrequency: LUCID_MAX_FREQUENCY }),
    contrast: { percentile: 99, level: 0.9 },
  },
};

/**
 * The preset named `name` (one of PRESET_NAMES); throws InvalidInputError naming the choices otherwise. The returned
 * object is shared: do not alter it.
 */
export function preset(name: string): Preset {
  const p = (PRESETS as Record<string, Preset>)[name];
  if (!p) throw new InvalidInputError(`unknown preset '${name}': choose one of ${PRESET_NAMES.join(', ')}`);
  return p;
}
