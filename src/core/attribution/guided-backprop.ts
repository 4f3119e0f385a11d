import { gradientSaliency } from './gradient';

/**
 * Guided backpropagation (Springenberg et al. 2015, "Striving for simplicity"): the gradient saliency map with
 * the guided rectifier rule — at every ReLU6 only positive gradients pass, and only where the unit was in its
 * linear range (0 < x < 6) in the forward pass. Works for a class or an intermediate channel / neuron target.
 * The rule lives in the model adapter's own ReLU6 op, so no global gradient override leaks into vanilla saliency.
 */
export const guidedBackprop = gradientSaliency('guided', 'guided');
