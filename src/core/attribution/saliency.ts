import { gradientMap, inputGradient } from './gradient';
import type { AttributionMethod } from './types';

/** Vanilla gradient saliency (Simonyan et al. 2014): |∂score/∂pixel|, max over the colour channels. */
export const saliency: AttributionMethod = async (net, input, { target }) => {
  const gradient = inputGradient(net, input.tensor, target, 'plain');
  try {
    return await gradientMap('saliency', input, gradient);
  } finally {
    gradient.dispose();
  }
};
