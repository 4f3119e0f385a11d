/**
 * Input optimisation: one engine (`optimize`) and the modes built on it — class and feature visualisation,
 * feature inversion, fooling images, DeepFool and universal adversarial perturbations.
 */
export { optimize, type InitSpec, type OptimizeResult, type OptimizeSpec, type Progress, type ProgressCallback, type StepState } from './engine';
export {
  channelMean,
  checkClassIndex,
  classLogit,
  crossEntropy,
  featureDistance,
  logitMargins,
  neuron,
  type Objective,
} from './objectives';
export {
  blur,
  clipSmallContribution,
  clipSmallNorm,
  gaussianBlur,
  jitter,
  l2Decay,
  l2Penalty,
  roll,
  totalVariation,
  totalVariationOf,
  type Regulariser,
} from './regularisers';
export { l2Ball, linfBall, pixelRange, type Projection } from './projections';
export {
  COLOR_CORRELATION_SVD_SQRT,
  fourierParameterisation,
  hartleyBasis,
  spectrumFrequencies,
  spectrumScale,
  type FourierOptions,
  type Parameterisation,
} from './parameterisations';
export { affineMatrix, randomAffine, type AffineOptions } from './transforms';
export { adam, deepFoolStep, normalizedAscent, signAscent, type StepContext, type StepRule, type StepRuleState } from './steps';
export {
  LUCID_MAX_FREQUENCY,
  PRESETS,
  PRESET_NAMES,
  YOSINSKI_DEFAULT_ROW,
  YOSINSKI_TABLE_1,
  preset,
  yosinskiPreset,
  yosinskiRegularisers,
  type Preset,
  type PresetName,
  type YosinskiSettings,
} from './presets';
export {
  evaluate,
  runPreset,
  visualizeClass,
  visualizeFeature,
  type ClassVisualization,
  type FeatureTarget,
  type FeatureVisualization,
  type RunOptions,
  type VisualizationRun,
  type VisualizeOptions,
} from './visualize';
export { invertFeatures, type Inversion } from './invert';
export { DEFAULT_VISUALIZE_PRESET, VISUALIZE_JOB } from './defaults';
export { FOOL_DEFAULTS, fool, type FoolOptions, type FoolResult } from './fool';
export {
  DEEPFOOL_DEFAULTS,
  deepFoolAttack,
  gradientAttack,
  type AttackResult,
  type DeepFoolOptions,
  type GradientAttackOptions,
  type InnerAttack,
} from './attacks';
export {
  UAP_DEFAULTS,
  applyPerturbation,
  foolingRate,
  uapFromFile,
  uapToFile,
  universalPerturbation,
  type FoolingRate,
  type UapFile,
  type UapOptions,
  type UapResult,
} from './uap';
export { differenceImage, perturbationImage, perturbationNorms, quantize, quantizeInBall, raiseContrast, type ContrastOptions } from './pixels';
export { PIXEL_SCALE, modelToPixels, pixelsToModel } from './units';
export { createRng, type Rng } from './random';
