import { normaliseMap } from '../render/image';
import { type AttributionMethodName, METHOD_INFO, type MethodSettings } from './defaults';
import { gradCam } from './gradcam';
import { guidedBackprop } from './guided-backprop';
import { integratedGradients } from './integrated-gradients';
import { lime } from './lime';
import { occlusion } from './occlusion';
import { saliency } from './saliency';
import { shapley } from './shapley';
import { smoothGrad } from './smoothgrad';
import type { AttributionMap, AttributionMethod, AttributionOptions } from './types';

export * from './types';
export { checkTarget, checkTargetChoice, resolveTarget } from '../target';
export { gradCam, guidedBackprop, integratedGradients, lime, occlusion, saliency, shapley, smoothGrad };
export type { LimeOptions } from './lime';
export * from './lime-summary';
export { type LinearModel, predict, weightedR2, weightedRidge } from './ridge';
export { camLayer, gradCamPass, type GradCamOptions, type GradCamPass } from './gradcam';
export { gradientSaliency, inputGradient, type SaliencyPass, saliencyPass } from './gradient';
export { type OcclusionOptions, OcclusionSweep } from './occlusion';
export type { ShapleyOptions } from './shapley';
export type { IntegratedGradientsOptions } from './integrated-gradients';
export type { SmoothGradOptions } from './smoothgrad';
export type { Fill, ScoreKind } from './masking';
export * from './defaults';

/** Every attribution method by its CLI / job name, all under the one signature. */
export const ATTRIBUTION_METHODS = {
  saliency,
  guided: guidedBackprop,
  smoothgrad: smoothGrad(saliency),
  'smoothgrad-guided': smoothGrad(guidedBackprop, 'smoothgrad-guided'),
  'integrated-gradients': integratedGradients,
  gradcam: gradCam,
  occlusion,
  shapley,
  lime,
} satisfies Record<AttributionMethodName, AttributionMethod<never>>;

/**
 * Whether `name` is one of the attribution methods (a key of ATTRIBUTION_METHODS); a type guard for CLI and job
 * input.
 */
export function isAttributionMethod(name: string): name is AttributionMethodName {
  return Object.hasOwn(ATTRIBUTION_METHODS, name);
}

/**
 * Runs method `name` with its settings (any not given take the method's declared defaults), the one entry point
 * the CLI and the worker's jobs share.
 */
export function runAttribution<N extends AttributionMethodName>(
  name: N,
  net: Parameters<AttributionMethod>[0],
  input: Parameters<AttributionMethod>[1],
  options: AttributionOptions & Partial<MethodSettings[N]>,
): Promise<AttributionMap> {
  const method = ATTRIBUTION_METHODS[name] as AttributionMethod<AttributionOptions & Partial<MethodSettings[N]>>;
  return method(net, input, options);
}

/** The map as displayed (values in [0, 1]): normalised at the method's declared display percentile. */
export function displayMap(name: AttributionMethodName, data: Float32Array): Float32Array {
  return normaliseMap(data, { percentile: METHOD_INFO[name].display.percentile });
}
