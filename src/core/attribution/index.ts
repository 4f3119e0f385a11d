import { gradCam } from './gradcam';
import { guidedBackprop } from './guided-backprop';
import { integratedGradients } from './integrated-gradients';
import { occlusion } from './occlusion';
import { saliency } from './saliency';
import { shapley } from './shapley';
import { smoothGrad } from './smoothgrad';
import type { AttributionMethod } from './types';

export * from './types';
export { checkTarget } from './target';
export { gradCam, guidedBackprop, integratedGradients, occlusion, saliency, shapley, smoothGrad };
export { OcclusionSweep } from './occlusion';
export type { Fill, ScoreKind } from './masking';

export const ATTRIBUTION_METHODS = {
  saliency,
  guided: guidedBackprop,
  smoothgrad: smoothGrad(saliency),
  'smoothgrad-guided': smoothGrad(guidedBackprop, 'smoothgrad-guided'),
  'integrated-gradients': integratedGradients,
  gradcam: gradCam,
  occlusion,
  shapley,
} satisfies Record<string, AttributionMethod>;

export type AttributionMethodName = keyof typeof ATTRIBUTION_METHODS;

export function isAttributionMethod(name: string): name is AttributionMethodName {
  return Object.hasOwn(ATTRIBUTION_METHODS, name);
}
