import { gradientMap, inputGradient } from './gradient';
import type { AttributionMethod } from './types';

/**
 * Guided backpropagation (Springenberg et al. 2015): at every ReLU6 only positive gradients pass, and only where
 * the unit was active in the forward pass. Works for a class or for an intermediate channel / neuron.
 * Implemented as a custom gradient inside the model adapter's own forward pass, so no global gradient override
 * can leak into later vanilla saliency.
 */
export const guidedBackprop: AttributionMethod = async (net, input, { target }) => {
  const gradient = inputGradient(net, input.tensor, target, 'guided');
  try {
    return await gradientMap('guided', input, gradient);
  } finally {
    gradient.dispose();
  }
};
