import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runAttribution } from '../src/core/attribution';
import { AbortError } from '../src/core/cancel';
import { InvalidInputError } from '../src/core/errors';
import { disposeTaps } from '../src/core/network';
import { seededRandom } from '../src/core/random';
import { freshConvWeights, type SanityResult, sanityCheck, spearman } from '../src/core/sanity';
import type { RgbaImage } from '../src/core/preprocess';
import { type JobContext, runJob } from '../workers/jobs';
import { expectOneLineFailures, imagePath, modelInput, net, runCli, sharedImage } from './helpers';

/** chelsea.png (the cat): the lite model's top class is 285 (Egyptian cat). */
const PHOTO = 'chelsea.png';

/** Independent Spearman: ranks by counting (mid-ranks for ties), then Pearson's formula, in double precision. */
function naiveSpearman(a: readonly number[], b: readonly number[]): number {
  const rank = (xs: readonly number[]): number[] => xs.map((x) => xs.filter((y) => y < x).length + (xs.filter((y) => y === x).length + 1) / 2);
  const [ra, rb] = [rank(a), rank(b)];
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const [ma, mb] = [mean(ra), mean(rb)];
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < ra.length; i++) {
    cov += (ra[i]! - ma) * (rb[i]! - mb);
    va += (ra[i]! - ma) ** 2;
    vb += (rb[i]! - mb) ** 2;
  }
  return cov / Math.sqrt(va * vb);
}

/** Logits and one early activation of the trained network, as plain numbers. */
function forward(n: Awaited<ReturnType<typeof net>>, input: tf.Tensor4D): Float32Array[] {
  const taps = n.run(input, { logits: true, layers: ['conv_pw_1_relu'] });
  const out = [taps.logits!.dataSync() as Float32Array, taps.activations['conv_pw_1_relu']!.dataSync() as Float32Array];
  disposeTaps(taps);
  return out;
}

const rhos = (r: SanityResult): number[] => r.steps.map((s) => s.spearman);

describe('spearman', () => {
  it('matches a hand-computed case with ties: ranks [1, 2.5, 2.5, 4] vs [1, 3, 2, 4] → 4.5 / √(4.5 · 5) = 3/√10', () => {
    expect(spearman([1, 2, 2, 3], [10, 30, 20, 40])).toBeCloseTo(3 / Math.sqrt(10), 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(spearman([5, 5, 5], [1, 2, 3])).toBeNaN();
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow(InvalidInputError);
  });

  it('equals an independent O(n²) implementation on 600 values with many ties, and a monotone transform gives 1', () => {
    const random = seededRandom(7);
    const a = Array.from({ length: 600 }, () => Math.floor(random() * 20));
    const b = a.map((x) => x + Math.floor(random() * 15));
    const rho = spearman(Float32Array.from(a), Float32Array.from(b));
    expect(rho).toBeGreaterThan(0.3);
    expect(rho).toBeLessThan(0.95);
    expect(rho).toBeCloseTo(naiveSpearman(a, b), 12);
    expect(spearman(a, a.map((x) => Math.exp(x / 3)))).toBeCloseTo(1, 12);
  });
});

describe('freshConvWeights', () => {
  it('draws Glorot-uniform kernels (|w| ≤ √(6 / (fan_in + fan_out)), variance l²/3) with zero biases', async () => {
    const n = await net('lite');
    // conv_preds: 1×1 (fans = in, out); conv_dw_13: 3×3 depthwise, multiplier 1 (fans 9·channels and 9·1).
    for (const layer of ['conv_preds', 'conv_dw_13']) {
      const { kernel: trained, depthwise } = n.kernel(layer);
      const [kh, kw, inputs, outputs] = trained.shape;
      trained.dispose();
      const limit = Math.sqrt(6 / (kh * kw * (inputs + outputs)));
      const biasLength = depthwise ? inputs * outputs : outputs;
      const w = freshConvWeights(n, layer, seededRandom(1));
      const values = Array.from(w.kernel.dataSync());
      const max = values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      const variance = values.reduce((s, x) => s + x * x, 0) / values.length;
      expect(max, layer).toBeLessThanOrEqual(limit);
      expect(max, layer).toBeGreaterThan(0.99 * limit);
      expect(variance / (limit * limit / 3), layer).toBeCloseTo(1, 1);
      expect(w.bias.shape, layer).toEqual([biasLength]);
      expect(w.bias.dataSync().every((x) => x === 0), layer).toBe(true);
      tf.dispose([w.kernel, w.bias]);
    }
  });
});

describe('sanityCheck (cascading randomisation, Adebayo et al. 2018) on the lite model', () => {
  it('gradient: the map decorrelates once the logits are random and falls further down the network; the trained network is untouched, no tensor leaks', async () => {
    const n = await net('lite');
    const input = modelInput(PHOTO);
    const before = forward(n, input.tensor);
    const kernelBefore = n.kernel('conv_preds').kernel;
    const tensors = tf.memory().numTensors;
    const progress: [number, number][] = [];
    const r = await sanityCheck(n, input, { method: 'saliency', target: 'top', onProgress: (d, t) => progress.push([d, t]) });
    expect(tf.memory().numTensors).toBe(tensors);
    const after = forward(n, input.tensor);
    // Bit-identical: the randomised copies never wrote into the trained network's stages.
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    const kernelAfter = n.kernel('conv_preds').kernel;
    expect(kernelAfter.dataSync()).toEqual(kernelBefore.dataSync());
    tf.dispose([kernelBefore, kernelAfter, input.tensor]);

    expect(r.target).toEqual({ kind: 'class', index: 285 });
    expect(r.steps.map((s) => s.layer)).toEqual(n.convLayers().reverse());
    expect(progress).toHaveLength(29);
    expect(progress.at(-1)).toEqual([29, 29]);
    // The original is the map `explain` makes (same runAttribution call).
    const again = await runAttribution('saliency', n, modelInput(PHOTO), { target: r.target });
    expect(r.original.data).toEqual(again.data);
    // Seen (seed 0): 0.279 after conv_preds, 0.13 ± 0.03 over the last 7 layers (conv_dw_3 … conv1: 0.086–0.147).
    const rho = rhos(r);
    expect(rho[0]).toBeLessThan(0.5);
    const deep = rho.slice(-7).reduce((s, x) => s + x, 0) / 7;
    expect(deep).toBeLessThan(rho[0]! - 0.08);
    expect(rho.every((x) => Number.isFinite(x) && x > -1 && x < 1)).toBe(true);
    console.log('saliency ρ per layer:', r.steps.map((s) => `${s.layer} ${s.spearman.toFixed(3)}`).join(', '));
  }, 120_000);

  it('Grad-CAM drops after the logits and further after conv_pw_13; guided backprop stays above the plain gradient at the same depth', async () => {
    const n = await net('lite');
    const input = modelInput(PHOTO);
    const tensors = tf.memory().numTensors;
    const cam = await sanityCheck(n, input, { method: 'gradcam', target: 'top', layers: 2 });
    const guided = await sanityCheck(n, input, { method: 'guided', target: 'top', layers: 4 });
    const plain = await sanityCheck(n, input, { method: 'saliency', target: 'top', layers: 4 });
    expect(tf.memory().numTensors).toBe(tensors);
    input.tensor.dispose();
    // Seen (seed 0): Grad-CAM 0.557, then −0.242 (conv_pw_13).
    expect(cam.steps[0]!.spearman).toBeLessThan(0.8);
    expect(cam.steps[1]!.spearman).toBeLessThan(cam.steps[0]!.spearman - 0.3);
    // Seen: guided 0.974, 0.959, 0.922, 0.906 vs plain 0.279, 0.285, 0.252, 0.273 (the paper's finding).
    rhos(guided).forEach((g, k) => {
      expect(g, guided.steps[k]!.layer).toBeGreaterThan(0.8);
      expect(g, guided.steps[k]!.layer).toBeGreaterThan(rhos(plain)[k]! + 0.4);
    });
    console.log('gradcam ρ:', rhos(cam).map((x) => x.toFixed(3)).join(', '), '| guided ρ:', rhos(guided).map((x) => x.toFixed(3)).join(', '), '| plain ρ:', rhos(plain).map((x) => x.toFixed(3)).join(', '));
  }, 120_000);

  it('stops between layers on abort (AbortError, no tensor left, network intact) and refuses a bad layer count', async () => {
    const n = await net('lite');
    const input = modelInput(PHOTO);
    const before = forward(n, input.tensor);
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    let maps = 0;
    const run = sanityCheck(n, input, {
      method: 'saliency',
      target: 'top',
      signal: controller.signal,
      onProgress: (done) => {
        maps = done;
        if (done === 3) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(maps).toBe(3);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(forward(n, input.tensor)).toEqual(before);
    await expect(sanityCheck(n, input, { method: 'saliency', target: 'top', layers: 0 })).rejects.toThrow(InvalidInputError);
    await expect(sanityCheck(n, input, { method: 'saliency', target: 'top', layers: 29 })).rejects.toThrow(/1\.\.28/);
    input.tensor.dispose();
  }, 60_000);
});

describe('worker job', () => {
  it("the 'sanity' job runs the core on the frame: the same ρ per layer, display maps in [0, 1], progress per map", async () => {
    const n = await net('lite');
    const ctx = { net: n, toRgba: (image) => image as RgbaImage } as Pick<JobContext, 'net' | 'toRgba'> as JobContext;
    const progress: number[] = [];
    const control = { signal: new AbortController().signal, onProgress: (done: number) => void progress.push(done), setPerturbation: () => undefined };
    const tensors = tf.memory().numTensors;
    const result = await runJob(ctx, { kind: 'sanity', image: sharedImage(PHOTO), method: 'saliency', classIndex: 'top', layers: 2 }, control);
    expect(tf.memory().numTensors).toBe(tensors);
    if (result.kind !== 'sanity') throw new Error(`expected a sanity result, got ${result.kind}`);
    expect(result.target.index).toBe(285);
    expect(result.steps.map((s) => s.layer)).toEqual(['conv_preds', 'conv_pw_13']);
    // Seen in the core test (seed 0): 0.279, 0.285.
    expect(result.steps[0]!.spearman).toBeCloseTo(0.279, 2);
    expect(result.steps[1]!.spearman).toBeCloseTo(0.285, 2);
    for (const map of [result.original, ...result.steps.map((s) => s.heatmap)]) {
      expect(map.data).toHaveLength(224 * 224);
      expect(Math.min(...map.data)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...map.data)).toBe(1);
    }
    expect(progress).toEqual([1, 2, 3]);
  }, 60_000);
});

describe('cli sanity', () => {
  it('--json reports per randomised layer the Spearman ρ; bad input is one line', async () => {
    const cases = [
      [['sanity', imagePath(PHOTO), '--method', 'gradient', '--model', 'lite'], /unknown method 'gradient': choose one of saliency, guided/],
      [['sanity', imagePath(PHOTO), '--method', 'saliency', '--layers', '0', '--model', 'lite'], /--layers must be an integer in 1\.\.28, got '0'/],
      [['sanity', imagePath('no-such.png'), '--method', 'saliency', '--model', 'lite'], /no-such\.png/],
    ] as const;
    const [ok, ...bad] = await Promise.all([
      runCli('sanity', imagePath(PHOTO), '--method', 'saliency', '--layers', '2', '--model', 'lite', '--json'),
      ...cases.map(([args]) => runCli(...args)),
    ]);
    expect(ok!.code, ok!.stderr).toBe(0);
    const doc = JSON.parse(ok!.stdout) as { method: string; target: { index: number }; seed: number; layers: { layer: string; spearman: number }[] };
    expect(doc.method).toBe('saliency');
    expect(doc.target.index).toBe(285);
    expect(doc.seed).toBe(0);
    expect(doc.layers.map((l) => l.layer)).toEqual(['conv_preds', 'conv_pw_13']);
    // The same numbers as the core (seed 0): 0.279, 0.285.
    expect(doc.layers[0]!.spearman).toBeCloseTo(0.279, 2);
    expect(doc.layers[1]!.spearman).toBeCloseTo(0.285, 2);
    expectOneLineFailures(cases, bad);
  }, 120_000);
});
