import type * as tf from '@tensorflow/tfjs';
import { classLabel } from './labels';
import type { ConvNet } from './network';

/** One class of a top-k list (topK, classify): the ImageNet class, its name and its softmax probability. */
export interface Prediction {
  /** ImageNet class index, 0–999 (the model's output order). */
  index: number;
  /** Human-readable class name (classLabel(index)). */
  label: string;
  /** Softmax probability of the class, 0–1. */
  probability: number;
}

/** The k largest entries of a probability vector, with labels, best first. */
export function topK(probabilities: ArrayLike<number>, k: number): Prediction[] {
  const order = Array.from({ length: probabilities.length }, (_, i) => i);
  order.sort((a, b) => probabilities[b]! - probabilities[a]!);
  return order.slice(0, Math.max(0, k)).map((index) => ({ index, label: classLabel(index), probability: probabilities[index]! }));
}

/** Top-k classes of the first image of a model-input batch. */
export async function classify(net: ConvNet, input: tf.Tensor4D, k = 5): Promise<Prediction[]> {
  const taps = net.run(input, { probabilities: true });
  try {
    const probs = await taps.probabilities!.data();
    return topK(probs.subarray(0, net.numClasses), k);
  } finally {
    taps.probabilities!.dispose();
  }
}
