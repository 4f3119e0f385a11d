import * as tf from '@tensorflow/tfjs';
import { type ConvNet, type Taps, disposeTaps } from '../src/core/network';
import { maskedEvaluator } from '../src/core/attribution/masking';

/**
 * Micro-benchmarks run inside the inference worker on its backend (the browser benchmark asks for them through
 * the protocol): one pass with taps against separate calls, and batched against one-by-one occlusion.
 */
export async function workerBench(net: ConvNet, runs = 5): Promise<Record<string, number>> {
  const x = tf.randomUniform([1, net.inputSize, net.inputSize, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const layer = 'conv_pw_5_relu';
  const objective = (t: Taps): tf.Scalar => tf.sum(tf.max(t.logits!, 1));
  const median = async (fn: () => Promise<void>): Promise<number> => {
    await fn(); // warm-up (shader compilation)
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await fn();
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  };
  const read = async (taps: Taps, extra: tf.Tensor[] = []): Promise<void> => {
    await Promise.all([...Object.values(taps.activations), taps.logits, taps.probabilities, ...extra].filter((t) => t !== undefined).map((t) => t.data()));
    disposeTaps(taps);
    tf.dispose(extra);
  };
  const figures: Record<string, number> = {};
  figures['forwardMs'] = await median(() => read(net.run(x, { probabilities: true })));
  figures['tappedPassMs'] = await median(async () => {
    const g = net.gradient(x, { layers: [layer], logits: true, probabilities: true }, objective);
    await read(g.taps, [g.gradient, g.value]);
  });
  figures['separatePassesMs'] = await median(async () => {
    await read(net.run(x, { layers: [layer] }));
    await read(net.run(x, { probabilities: true }));
    const g = net.gradient(x, { logits: true }, objective);
    await read(g.taps, [g.gradient, g.value]);
  });
  figures['tappedOverSeparate'] = figures['tappedPassMs'] / figures['separatePassesMs'];
  const target = { kind: 'class', index: 0 } as const;
  const masks = Array.from({ length: 16 }, (_, i) => () => {
    const m = new Float32Array(net.inputSize * net.inputSize).fill(1);
    m.fill(0, i * 1000, i * 1000 + 3000);
    return m;
  });
  for (const batchSize of [16, 1]) {
    const evaluator = maskedEvaluator(net, x, target, { fill: 'gray', score: 'probability', batchSize });
    figures[`occlusionPerPatchMs_batch${batchSize}`] = (await median(async () => void (await evaluator.evaluate(masks)))) / masks.length;
    evaluator.dispose();
  }
  x.dispose();
  return figures;
}
