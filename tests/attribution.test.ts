import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTION_METHODS,
  type AttributionMap,
  gradCam,
  guidedBackprop,
  integratedGradients,
  occlusion,
  saliency,
  shapley,
  smoothGrad,
} from '../src/core/attribution';
import { inputGradient } from '../src/core/attribution/gradient';
import { InvalidInputError, UnknownLayerError } from '../src/core/errors';
import { seededRandom } from '../src/core/random';
import { disposeTaps } from '../src/core/network';
import { modelInput, net } from './helpers';

const ESPRESSO = { kind: 'class', index: 967 } as const;
/** The cup in coffee.png (600×400), in model-input pixels (224×224, whole image stretched). */
const CUP = { x0: 63, x1: 153, y0: 11, y1: 162 };
/** Background: the wooden table at the right edge. */
const TABLE = { x0: 185, x1: 224, y0: 0, y1: 224 };

function meanIn(map: AttributionMap, r: { x0: number; x1: number; y0: number; y1: number }, values = map.data): number {
  let sum = 0;
  for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) sum += values[y * map.width + x]!;
  return sum / ((r.x1 - r.x0) * (r.y1 - r.y0));
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

describe('gradients', () => {
  it('equal central finite differences on sampled pixels', async () => {
    const model = await net('lite');
    const { tensor } = modelInput('coffee.png');
    const logit = (x: tf.Tensor4D): number => {
      const taps = model.run(x, { logits: true });
      const v = taps.logits!.dataSync()[967]!;
      disposeTaps(taps);
      return v;
    };
    const g = inputGradient(model, tensor, ESPRESSO);
    const grad = await g.data();
    // The five coordinates with the largest |gradient|, and ten more drawn (seeded) from the top 500.
    const ranked = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b]!) - Math.abs(grad[a]!));
    const random = seededRandom(11);
    const sampled = [...ranked.slice(0, 5), ...Array.from({ length: 10 }, () => ranked[5 + Math.floor(random() * 495)]!)];
    // ReLU6 makes the network piecewise linear and a one-pixel step of h always flips a few units sitting at a
    // kink, so a few quotients stray; the bulk must agree closely.
    const h = 0.004;
    const errors: number[] = [];
    for (const i of sampled) {
      const e = tf.tidy(() => tf.oneHot(tf.tensor1d([i], 'int32'), grad.length).reshape(tensor.shape).mul(h) as tf.Tensor4D);
      const plus = tf.add(tensor, e) as tf.Tensor4D;
      const minus = tf.sub(tensor, e) as tf.Tensor4D;
      const fd = (logit(plus) - logit(minus)) / (2 * h);
      tf.dispose([e, plus, minus]);
      errors.push(Math.abs(fd - grad[i]!) / Math.abs(grad[i]!));
    }
    errors.sort((a, b) => a - b);
    expect(errors[Math.floor(errors.length / 2)]).toBeLessThan(0.02); // median
    expect(errors.filter((e) => e < 0.05).length).toBeGreaterThanOrEqual(12); // of 15
    expect(errors.at(-1)).toBeLessThan(0.3);
    tf.dispose([g, tensor]);
  });

  it('saliency is |gradient| max over RGB, non-negative, and heavier on the cup than on the table', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const map = await saliency(model, input, { target: ESPRESSO });
    const g = inputGradient(model, input.tensor, ESPRESSO);
    const expected = tf.tidy(() => tf.max(tf.abs(g), -1).reshape([-1]).dataSync());
    expect(map.data).toEqual(expected);
    expect(Math.min(...map.data)).toBeGreaterThanOrEqual(0);
    expect(meanIn(map, CUP)).toBeGreaterThan(meanIn(map, TABLE));
    tf.dispose([g, input.tensor]);
  });
});

describe('guided backprop', () => {
  it('never passes a negative gradient through a ReLU, while the vanilla gradient does; maps differ', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const minima = { plain: Infinity, guided: Infinity };
    const layersSeen = { plain: new Set<string>(), guided: new Set<string>() };
    for (const relu of ['plain', 'guided'] as const) {
      const r = model.gradient(input.tensor, { logits: true }, (t) => tf.sum(tf.slice(t.logits!, [0, 967], [1, 1])), {
        relu,
        reluHook: (layer, dx) => {
          layersSeen[relu].add(layer);
          minima[relu] = Math.min(minima[relu], tf.min(dx).dataSync()[0]!);
        },
      });
      disposeTaps(r.taps);
      tf.dispose([r.value, r.gradient]);
    }
    expect(layersSeen.guided.size).toBe(27); // conv1 + 13 depthwise + 13 pointwise ReLU6 units
    expect(minima.guided).toBeGreaterThanOrEqual(0);
    expect(minima.plain).toBeLessThan(0);

    const guided = await guidedBackprop(model, input, { target: ESPRESSO });
    const vanilla = await saliency(model, input, { target: ESPRESSO });
    let dot = 0, ng = 0, nv = 0;
    for (let i = 0; i < guided.data.length; i++) {
      dot += guided.data[i]! * vanilla.data[i]!;
      ng += guided.data[i]! ** 2;
      nv += vanilla.data[i]! ** 2;
    }
    expect(dot / Math.sqrt(ng * nv)).toBeLessThan(0.95);
    expect(meanIn(guided, CUP)).toBeGreaterThan(meanIn(guided, TABLE));
    input.tensor.dispose();
  });

  it('pins the ReLU6 rule: a saturated unit (input ≥ 6) passes no gradient, guided or not; a linear-range one does', async () => {
    // A rule that masks with x > 0 alone (as a popular peer library does) would pass gradient through the saturated
    // unit. Both units are taken from conv1, where the gradient reaches the pixels through no other rectifier.
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const taps = model.run(input.tensor, { layers: ['conv1_bn'] });
    const pre = taps.activations['conv1_bn']!;
    const [, h, w, c] = pre.shape as [number, number, number, number];
    const values = pre.dataSync();
    disposeTaps(taps);
    const find = (ok: (v: number) => boolean): { x: number; y: number; channel: number } => {
      for (let i = 0; i < values.length; i++) {
        const [y, x] = [Math.floor(i / (w * c)), Math.floor(i / c) % w];
        if (ok(values[i]!) && x > 2 && y > 2 && x < w - 3 && y < h - 3) return { x, y, channel: i % c };
      }
      throw new Error('no such unit');
    };
    const saturated = find((v) => v > 6.5);
    const linear = find((v) => v > 0.5 && v < 5.5);
    for (const method of [saliency, guidedBackprop]) {
      const off = await method(model, input, { target: { kind: 'neuron', layer: 'conv1_relu', ...saturated } });
      expect(Math.max(...off.data)).toBe(0);
      const on = await method(model, input, { target: { kind: 'neuron', layer: 'conv1_relu', ...linear } });
      expect(Math.max(...on.data)).toBeGreaterThan(0);
    }
    input.tensor.dispose();
  });

  it('explains an intermediate neuron: only pixels inside its receptive field get gradient', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    // conv_pw_3_relu is 56×56 (stride 4); its receptive field is 19 pixels wide, so neuron (10, 10) sees
    // at most model pixels 40−9 … 40+12.
    const map = await guidedBackprop(model, input, { target: { kind: 'neuron', layer: 'conv_pw_3_relu', channel: 5, x: 10, y: 10 } });
    let inside = 0, outside = 0;
    for (let y = 0; y < 224; y++) {
      for (let x = 0; x < 224; x++) {
        const v = map.data[y * 224 + x]!;
        if (x >= 28 && x <= 55 && y >= 28 && y <= 55) inside += v;
        else outside += v;
      }
    }
    expect(inside).toBeGreaterThan(0);
    expect(outside).toBe(0);
    input.tensor.dispose();
  });
});

describe('SmoothGrad wrapper', () => {
  it('with zero noise equals the wrapped method; with noise it is seeded and smoother', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const vanilla = await saliency(model, input, { target: ESPRESSO });
    const noiseless = await smoothGrad(saliency)(model, input, { target: ESPRESSO, samples: 2, noise: 0 });
    for (let i = 0; i < vanilla.data.length; i += 97) expect(noiseless.data[i]).toBeCloseTo(vanilla.data[i]!, 6);
    const a = await smoothGrad(saliency)(model, input, { target: ESPRESSO, samples: 4, noise: 0.15, seed: 3 });
    const b = await smoothGrad(saliency)(model, input, { target: ESPRESSO, samples: 4, noise: 0.15, seed: 3 });
    expect(a.data).toEqual(b.data);
    // Total variation relative to mass: averaging over noise removes pixel-level speckle.
    const roughness = (m: AttributionMap): number => {
      let tv = 0, mass = 0;
      for (let i = 1; i < m.data.length; i++) {
        tv += Math.abs(m.data[i]! - m.data[i - 1]!);
        mass += m.data[i]!;
      }
      return tv / mass;
    };
    expect(roughness(a)).toBeLessThan(roughness(vanilla));
    input.tensor.dispose();
  });
});

describe('Integrated Gradients', () => {
  it('attributions approach F(x) − F(baseline) (completeness) and improve with more steps', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const coarse = await integratedGradients(model, input, { target: ESPRESSO, steps: 8, batchSize: 8 });
    const fine = await integratedGradients(model, input, { target: ESPRESSO, steps: 48, batchSize: 8 });
    const gap = (m: AttributionMap): number => Math.abs((m.extras!['attributionSum'] as number) - (m.extras!['scoreDifference'] as number));
    const diff = fine.extras!['scoreDifference'] as number;
    expect(diff).toBeGreaterThan(5); // espresso logit on the photo is far above its value on black
    expect(gap(fine)).toBeLessThan(0.2 * Math.abs(diff));
    expect(gap(fine)).toBeLessThan(gap(coarse));
    expect(Math.min(...fine.data)).toBeGreaterThanOrEqual(0);
    input.tensor.dispose();
  });
});

describe('Grad-CAM', () => {
  it('is non-negative, peaks on the cup, and accepts a conv layer name for its block', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const map = await gradCam(model, input, { target: ESPRESSO });
    expect(map.width).toBe(224);
    expect(Math.min(...map.data)).toBeGreaterThanOrEqual(0);
    const peak = argmax(map.data);
    const [px, py] = [peak % 224, Math.floor(peak / 224)];
    expect(px).toBeGreaterThanOrEqual(CUP.x0);
    expect(px).toBeLessThan(CUP.x1);
    expect(py).toBeGreaterThanOrEqual(CUP.y0);
    expect(py).toBeLessThan(CUP.y1);
    const viaConv = await gradCam(model, input, { target: ESPRESSO, layer: 'conv_pw_13' });
    expect(viaConv.data).toEqual(map.data);
    await expect(gradCam(model, input, { target: ESPRESSO, layer: 'conv_pw_77' })).rejects.toThrow(UnknownLayerError);
    input.tensor.dispose();
  });
});

describe('occlusion', () => {
  it('occluding the cup lowers the espresso score more than occluding the table', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    let calls = 0;
    const map = await occlusion(model, input, { target: ESPRESSO, patch: 56, stride: 28, batchSize: 8, onProgress: () => calls++ });
    expect(map.extras!['positions']).toBe(49);
    expect(calls).toBe(Math.ceil(49 / 8));
    expect(meanIn(map, CUP, map.signed)).toBeGreaterThan(meanIn(map, TABLE, map.signed) + 0.05);
    expect(Math.min(...map.data)).toBeGreaterThanOrEqual(0);
    input.tensor.dispose();
  });
});

describe('Shapley values', () => {
  it('cell values sum to f(all) − f(none) (efficiency), with f(all) the unmasked logit', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const map = await shapley(model, input, { target: ESPRESSO, grid: 3, permutations: 3, batchSize: 8, seed: 1 });
    const cells = map.extras!['cells'] as number[];
    expect(cells).toHaveLength(9);
    const fAll = map.extras!['scoreAll'] as number;
    const fNone = map.extras!['scoreNone'] as number;
    expect(cells.reduce((a, b) => a + b, 0)).toBeCloseTo(fAll - fNone, 3);
    const taps = model.run(input.tensor, { logits: true });
    expect(fAll).toBeCloseTo(taps.logits!.dataSync()[967]!, 3);
    disposeTaps(taps);
    // The centre cell holds the cup and matters most.
    expect(argmax(cells)).toBe(4);
    input.tensor.dispose();
  });
});

describe('one signature for all methods', () => {
  it('every registered method returns a non-negative 224×224 map with the crop, and leaks no tensors', async () => {
    const model = await net('lite');
    const input = modelInput('chelsea.png');
    const before = tf.memory().numTensors;
    const cheap = { samples: 2, steps: 4, patch: 112, stride: 112, grid: 2, permutations: 1, batchSize: 4 };
    for (const [name, method] of Object.entries(ATTRIBUTION_METHODS)) {
      const map = await method(model, input, { target: { kind: 'class', index: 285 }, ...cheap });
      expect(map.width * map.height, name).toBe(224 * 224);
      expect(map.data.length, name).toBe(224 * 224);
      expect(map.crop, name).toEqual({ x: 0, y: 0, width: 451, height: 300 });
      expect(Math.min(...map.data), name).toBeGreaterThanOrEqual(0);
      expect(Math.max(...map.data), name).toBeGreaterThan(0);
    }
    expect(tf.memory().numTensors).toBe(before);
    input.tensor.dispose();
  });

  it('rejects unknown layers, out-of-range channels and classes, and honours cancellation', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    await expect(saliency(model, input, { target: { kind: 'class', index: 1000 } })).rejects.toThrow(/out of range 0..999/);
    await expect(saliency(model, input, { target: { kind: 'channel', layer: 'conv_pw_99_relu', channel: 0 } })).rejects.toThrow(UnknownLayerError);
    await expect(saliency(model, input, { target: { kind: 'channel', layer: 'conv_pw_3_relu', channel: 64 } })).rejects.toThrow(InvalidInputError);
    const controller = new AbortController();
    controller.abort();
    await expect(occlusion(model, input, { target: ESPRESSO, signal: controller.signal })).rejects.toThrow(/cancelled/);
    input.tensor.dispose();
  });
});
