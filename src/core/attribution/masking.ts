import * as tf from '@tensorflow/tfjs';
import type { ConvNet } from '../network';
import { throwIfAborted, untilAborted, yieldToEventLoop } from '../cancel';
import type { BatchPacer } from '../pacing';
import { type Target, targetRequest, targetScores } from '../target';

/**
 * Shared by the perturbation methods (occlusion, Shapley): evaluate the network on copies of the input where
 * masked-out pixels are replaced by a fill, in fixed-size batches (a fixed batch shape keeps the WebGPU buffer
 * pool from growing with every odd-sized last batch).
 */

/** What hidden pixels become: mid-grey (0 in model space), black, the image's mean colour, or a 0–255 grey level. */
export type Fill = 'gray' | 'black' | 'mean' | number;

/** How a class is scored: its softmax probability (as Zeiler & Fergus plot it) or its logit (additive). */
export type ScoreKind = 'probability' | 'logit';

/**
 * The value hidden pixels take, in model space [−1, 1]: a scalar (gray → 0, black → −1, a 0–255 grey level g → g /
 * 127.5 − 1) or, for 'mean', the [1, 1, 1, 3] mean colour of `input` ([N, H, W, 3]). The caller owns and disposes the
 * tensor.
 */
export function fillTensor(input: tf.Tensor4D, fill: Fill): tf.Tensor {
  if (fill === 'mean') return tf.mean(input, [0, 1, 2], true);
  const level = fill === 'gray' ? 0 : fill === 'black' ? -1 : fill / 127.5 - 1;
  return tf.scalar(level);
}

/** A mask: width × height values, 1 = keep the pixel, 0 = fill. Built lazily, one batch at a time. */
export type MaskSource = () => Float32Array;

/**
 * Evaluates the target score on masked copies of one image (made by maskedEvaluator); holds tensors until dispose().
 */
export interface MaskedEvaluator {
  /** Masked images in the next forward pass: fixed (the last pass padded to it), or the pacer's current size when paced. */
  readonly batchSize: number;
  /** Target scores for each mask, evaluated batch by batch (cancellable between batches). */
  evaluate(masks: readonly MaskSource[], progress?: { signal?: AbortSignal; onBatch?: (done: number) => void }): Promise<Float32Array>;
  /** Frees the input copy and the fill tensor; the evaluator must not be used afterwards. */
  dispose(): void;
}

/**
 * The batch size for `total` evaluations at most `max` per pass, balanced so the last batch is nearly full
 * (49 occlusions + the baseline at max 16 → 4 batches of 13, not 4 × 16 with 14 wasted slots).
 */
export function balancedBatchSize(total: number, max: number): number {
  const batches = Math.max(1, Math.ceil(total / max));
  return Math.max(1, Math.ceil(total / batches));
}

/**
 * A MaskedEvaluator of the first image of `input` ([N, H, W, 3], model space): each mask (H × W, 1 = keep, 0 = fill;
 * values in between blend) gives input·mask + fill·(1 − mask), scored in fixed batches of `batchSize`: the softmax
 * probability for a class target with score 'probability', else targetScores (a class's logit, a channel's mean or a
 * neuron's activation). Used by occlusion (Zeiler & Fergus 2014) and Shapley sampling. Cancellation rejects
 * evaluate() with AbortError.
 */
export function maskedEvaluator(
  net: ConvNet,
  input: tf.Tensor4D,
  target: Target,
  { fill, score, batchSize, pacer }: { fill: Fill; score: ScoreKind; batchSize: number; pacer?: BatchPacer | undefined },
): MaskedEvaluator {
  const first = input.shape[0] === 1 ? tf.clone(input) : tf.slice(input, [0, 0, 0, 0], [1, -1, -1, -1]);
  const filler = fillTensor(first, fill);
  const [, h, w] = first.shape;
  const request = target.kind === 'class' && score === 'probability' ? { probabilities: true } : targetRequest(target);
  const scoresOf = (taps: ReturnType<ConvNet['run']>): tf.Tensor1D =>
    target.kind === 'class' && score === 'probability'
      ? (tf.reshape(tf.slice(taps.probabilities!, [0, target.index], [-1, 1]), [-1]) as tf.Tensor1D)
      : targetScores(taps, target);
  const currentSize = (): number => (pacer ? pacer.size : batchSize);
  return {
    get batchSize() {
      return currentSize();
    },
    async evaluate(masks, progress = {}) {
      const out = new Float32Array(masks.length);
      for (let start = 0; start < masks.length; ) {
        await yieldToEventLoop(); // let a cancel message (or a live frame) in between batches
        throwIfAborted(progress.signal);
        const t0 = performance.now();
        const size = currentSize();
        const chunk = masks.slice(start, start + size);
        const buffer = new Float32Array(size * h * w);
        // Pad the last batch with copies of its last mask so every pass of this size has the same shape.
        const built = chunk.map((make) => make());
        for (let b = 0; b < size; b++) buffer.set(built[Math.min(b, built.length - 1)]!, b * h * w);
        // Masking and scoring where the forward pass runs (a WASM twin's backend on CPU kiosks).
        const scores = net.onForwardBackend(() =>
          tf.tidy(() => {
            const mask = tf.tensor4d(buffer, [size, h, w, 1]);
            const batch = tf.add(tf.mul(first, mask), tf.mul(filler, tf.sub(1, mask))) as tf.Tensor4D;
            return scoresOf(net.run(batch, request));
          }),
        );
        let values: Float32Array;
        try {
          // A cancel that arrives while the GPU works ends the wait at once (the tensor is still disposed).
          values = (await untilAborted(scores.data(), progress.signal)) as Float32Array;
        } finally {
          scores.dispose();
        }
        pacer?.record(size, performance.now() - t0);
        out.set(values.subarray(0, chunk.length), start);
        start += chunk.length;
        progress.onBatch?.(start);
      }
      return out;
    },
    dispose() {
      tf.dispose([first, filler]);
    },
  };
}
