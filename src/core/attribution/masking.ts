import * as tf from '@tensorflow/tfjs';
import type { ConvNet } from '../network';
import { targetRequest, targetScores } from './target';
import type { AttributionTarget } from './types';

/**
 * Shared by the perturbation methods (occlusion, Shapley): evaluate the network on copies of the input where
 * masked-out pixels are replaced by a fill, in fixed-size batches (a fixed batch shape keeps the WebGPU buffer
 * pool from growing with every odd-sized last batch).
 */

/** What hidden pixels become: mid-grey (0 in model space), black, the image's mean colour, or a 0–255 grey level. */
export type Fill = 'gray' | 'black' | 'mean' | number;

/** How a class is scored: its softmax probability (as Zeiler & Fergus plot it) or its logit (additive). */
export type ScoreKind = 'probability' | 'logit';

export function fillTensor(input: tf.Tensor4D, fill: Fill): tf.Tensor {
  if (fill === 'mean') return tf.mean(input, [0, 1, 2], true);
  const level = fill === 'gray' ? 0 : fill === 'black' ? -1 : fill / 127.5 - 1;
  return tf.scalar(level);
}

export interface MaskedEvaluator {
  /** Scores of the unmasked image. */
  readonly batchSize: number;
  /** Scores for masks (each width×height, 1 = keep the pixel, 0 = fill). */
  evaluate(masks: readonly Float32Array[]): Promise<Float32Array>;
  dispose(): void;
}

export function maskedEvaluator(
  net: ConvNet,
  input: tf.Tensor4D,
  target: AttributionTarget,
  { fill, score, batchSize }: { fill: Fill; score: ScoreKind; batchSize: number },
): MaskedEvaluator {
  const first = input.shape[0] === 1 ? tf.clone(input) : tf.slice(input, [0, 0, 0, 0], [1, -1, -1, -1]);
  const filler = fillTensor(first, fill);
  const [, h, w] = first.shape;
  const request = target.kind === 'class' && score === 'probability' ? { probabilities: true } : targetRequest(target);
  const scoresOf = (taps: ReturnType<ConvNet['run']>): tf.Tensor1D =>
    target.kind === 'class' && score === 'probability'
      ? (tf.reshape(tf.slice(taps.probabilities!, [0, target.index], [-1, 1]), [-1]) as tf.Tensor1D)
      : targetScores(taps, target);
  return {
    batchSize,
    async evaluate(masks) {
      const out = new Float32Array(masks.length);
      for (let start = 0; start < masks.length; start += batchSize) {
        const chunk = masks.slice(start, start + batchSize);
        const buffer = new Float32Array(batchSize * h * w);
        // Pad the last batch with copies of its last mask so every call has the same shape.
        for (let b = 0; b < batchSize; b++) buffer.set(chunk[Math.min(b, chunk.length - 1)]!, b * h * w);
        const scores = tf.tidy(() => {
          const mask = tf.tensor4d(buffer, [batchSize, h, w, 1]);
          const batch = tf.add(tf.mul(first, mask), tf.mul(filler, tf.sub(1, mask))) as tf.Tensor4D;
          const taps = net.run(batch, request);
          return scoresOf(taps);
        });
        const values = await scores.data();
        scores.dispose();
        out.set(values.subarray(0, chunk.length), start);
      }
      return out;
    },
    dispose() {
      tf.dispose([first, filler]);
    },
  };
}
