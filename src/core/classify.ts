import type * as tf from '@tensorflow/tfjs';
import { IMAGENET_LABELS } from './labels';
import type { ConvNet } from './network';

/** One class of a top-k list (topK, classify): the ImageNet class, its name and its softmax probability. */
export interface Prediction {
  /** Class index in the model's output order (ImageNet: 0–999). */
  index: number;
  /** Human-readable class name (the model's labels, ConvNet.labels). */
  label: string;
  /** Softmax probability of the class, 0–1. */
  probability: number;
}

/**
 * The k largest entries of a probability vector, best first, labelled from `labels` (the model's, ConvNet.labels;
 * default the ImageNet labels).
 */
export function topK(probabilities: ArrayLike<number>, k: number, labels: readonly string[] = IMAGENET_LABELS): Prediction[] {
  const order = Array.from({ length: probabilities.length }, (_, i) => i);
  order.sort((a, b) => probabilities[b]! - probabilities[a]!);
  return order.slice(0, Math.max(0, k)).map((index) => ({ index, label: labels[index] ?? `class ${index}`, probability: probabilities[index]! }));
}

/** Top-k classes of the first image of a model-input batch. */
export async function classify(net: ConvNet, input: tf.Tensor4D, k = 5): Promise<Prediction[]> {
  const taps = net.run(input, { probabilities: true });
  try {
    const probs = await taps.probabilities!.data();
    return topK(probs.subarray(0, net.numClasses), k, net.labels);
  } finally {
    taps.probabilities!.dispose();
  }
}
