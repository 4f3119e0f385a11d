import * as tf from '@tensorflow/tfjs';
import type { Prediction } from '../classify';
import { InvalidInputError } from '../errors';
import type { ConvNet } from '../network';
import { optimize } from './engine';
import { checkClassIndex, crossEntropy } from './objectives';
import { argMax, perturbationNorms, prediction, probabilities, quantizeInBall, topClasses } from './pixels';
import { checkEpsilon, linfBall, pixelRange } from './projections';
import { signAscent } from './steps';
import { pixelsToModel } from './units';
import type { RunOptions } from './visualize';

/**
 * Options of fool(): the L∞ budget and PGD step (pixel levels, 0–255 units), plus step budget (default
 * FOOL_DEFAULTS.steps = 40), seed, signal and progress. InvalidInputError for eps < 1 or a step that is not a
 * positive number.
 */
export interface FoolOptions extends RunOptions {
  /** L∞ budget in pixel levels (0–255 units); default 8. At least 1: the result is saved with 8-bit pixels. */
  eps?: number;
  /** PGD step in pixel levels; default eps / 4 (the ball's edge in 4 steps). */
  stepSize?: number;
}

/**
 * What fool() returns: the 8-bit adversarial image, whether it is classified as the target, the perturbation's size
 * and the three predictions that tell the story (original, adversarial, target).
 */
export interface FoolResult {
  /** The adversarial image on the 8-bit grid, model space [1, 224, 224, 3] (the caller disposes it). */
  image: tf.Tensor4D;
  /** The 8-bit image is classified as the target. */
  success: boolean;
  /** PGD steps taken (fewer than the budget when the image fooled the network early). */
  steps: number;
  /** The L∞ budget used, in pixel levels. */
  eps: number;
  /** ‖adversarial − original‖∞ and ‖·‖₂ in pixel levels. */
  linf: number;
  /** ‖adversarial − original‖₂ over all pixels and channels, in pixel levels. */
  l2: number;
  /** Top class of the original image and its probability. */
  original: Prediction;
  /** Top class of the 8-bit adversarial image and its probability. */
  adversarial: Prediction;
  /** The target class and its probability on the adversarial image. */
  target: Prediction;
  /** Objective (log p(target)) at the start of each step, from OptimizeResult.values. */
  values: number[];
}

import { FOOL_DEFAULTS } from './defaults';

export { FOOL_DEFAULTS } from './defaults';

/**
 * Fooling image: start from a photo and take projected signed-gradient steps on log p(target) (PGD, Madry et al.)
 * inside the L∞ ball of eps pixel levels, until the network is fooled. "Fooled" is checked on the image rounded
 * to 8-bit pixels (inside the ball), so the saved PNG fools the network too, not only the float image.
 */
export async function fool(net: ConvNet, image: tf.Tensor4D, target: number, options: FoolOptions = {}): Promise<FoolResult> {
  checkClassIndex(net, target, 'target class');
  const eps = options.eps ?? FOOL_DEFAULTS.eps;
  checkEpsilon(eps);
  if (eps < 1) throw new InvalidInputError(`eps must be at least 1 pixel level (the adversarial image is saved with 8-bit pixels), got ${eps}`);
  const stepSize = options.stepSize ?? eps / 4;
  checkEpsilon(stepSize, 'step size');
  if (image.shape[0] !== 1) throw new InvalidInputError('fool one image at a time');
  const [originalProbs] = await probabilities(net, image);
  const quantizedFools = async (x: tf.Tensor4D): Promise<boolean> => {
    const q = quantizeInBall(x, image, eps);
    const [top] = await topClasses(net, q);
    q.dispose();
    return top === target;
  };
  const result = await optimize(net, {
    objective: crossEntropy(net, target, 'towards'),
    init: image,
    steps: options.steps ?? FOOL_DEFAULTS.steps,
    stepRule: signAscent(pixelsToModel(stepSize)),
    projections: [linfBall(image, eps), pixelRange()],
    seed: options.seed ?? 0,
    signal: options.signal,
    onProgress: options.onProgress,
    // The float image is checked first (its logits come free with the pass); the 8-bit one only when that fools.
    stopWhen: async ({ x, taps }) => argMax(await taps.logits!.data()) === target && quantizedFools(x),
  });
  const adv = quantizeInBall(result.image, image, eps);
  result.image.dispose();
  const [advProbs] = await probabilities(net, adv);
  const { linf, l2 } = await perturbationNorms(adv, image);
  const adversarial = prediction(advProbs!, undefined, net.labels);
  return {
    image: adv,
    success: adversarial.index === target,
    steps: result.steps,
    eps,
    linf,
    l2,
    original: prediction(originalProbs!, undefined, net.labels),
    adversarial,
    target: prediction(advProbs!, target, net.labels),
    values: result.values,
  };
}
