import { gradientSaliency } from './gradient';

/**
 * Vanilla gradient saliency (Simonyan, Vedaldi & Zisserman 2014): the maximum over the colour channels of
 * |∂score/∂pixel|, a [224, 224] map of values ≥ 0 (logit units per model-input unit).
 */
export const saliency = gradientSaliency('saliency', 'plain');
