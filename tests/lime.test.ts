import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { LIME_AGAINST_COLOUR, LIME_DEFAULTS, LIME_FOR_COLOUR, lime, limeLayer, predict, readLime, topEvidenceMap, topSuperpixels, weightedR2, weightedRidge } from '../src/core/attribution';
import { backgroundCheck, biasVerdict, surrogateBiasVerdict } from '../src/core/bias';
import { InvalidInputError } from '../src/core/errors';
import { imageToModelInput } from '../src/core/preprocess';
import { enforceConnectivity, slic } from '../src/core/superpixels';
import { imagePath, modelInput, net, runCli, sharedImage } from './helpers';
import { workerHarness } from './worker-harness';

/** Number of 4-connected components of each label (should be 1 for every label). */
function componentsPerLabel(labels: Int32Array, width: number, height: number): Map<number, number> {
  const seen = new Uint8Array(labels.length);
  const count = new Map<number, number>();
  for (let s = 0; s < labels.length; s++) {
    if (seen[s]) continue;
    const l = labels[s]!;
    count.set(l, (count.get(l) ?? 0) + 1);
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const [x, y] = [p % width, Math.floor(p / width)];
      for (const q of [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1]) {
        if (q >= 0 && !seen[q] && labels[q] === l) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
  }
  return count;
}

describe('SLIC superpixels (Achanta et al. 2012)', () => {
  it('cover a real photo with about the requested number of connected superpixels, deterministically', () => {
    const img = sharedImage('coffee.png');
    const s = slic(img.data, img.width, img.height, 4, { superpixels: 50 });
    expect(s.labels.length).toBe(img.width * img.height);
    expect(s.count).toBeGreaterThanOrEqual(35);
    expect(s.count).toBeLessThanOrEqual(60);
    // Labels are exactly 0..count−1, every one used, each one 4-connected region.
    const components = componentsPerLabel(s.labels, img.width, img.height);
    expect([...components.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: s.count }, (_, i) => i));
    expect([...components.values()].every((c) => c === 1)).toBe(true);
    expect(slic(img.data, img.width, img.height, 4, { superpixels: 50 }).labels).toEqual(s.labels);
  });

  it('split a two-colour picture on its colour edge, even off the grid lines', () => {
    const [w, h, edge] = [60, 40, 23];
    const px = new Uint8Array(w * h * 3);
    for (let p = 0; p < w * h; p++) px.set(p % w < edge ? [200, 30, 30] : [30, 60, 210], p * 3);
    const s = slic(px, w, h, 3, { superpixels: 12 });
    for (let l = 0; l < s.count; l++) {
      const sides = new Set<boolean>();
      for (let p = 0; p < w * h; p++) if (s.labels[p] === l) sides.add(p % w < edge);
      expect(sides.size, `superpixel ${l} lies on one side of the edge`).toBe(1);
    }
  });

  it('merges fragments smaller than the minimum into a neighbour and rejects bad sizes', () => {
    // Label 1 appears as a block and a stray pixel (joins its left neighbour); label 0's cut-off pair of pixels
    // is not smaller than the minimum (2), so it becomes a superpixel of its own.
    const labels = Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0]);
    const s = enforceConnectivity(labels, 4, 3, 2);
    expect(s.count).toBe(3);
    expect(Array.from(s.labels)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 2, 2]);
    expect(() => slic(new Uint8Array(10), 2, 2, 3)).toThrow(InvalidInputError);
    expect(() => slic(new Uint8Array(12), 2, 2, 3, { superpixels: 0 })).toThrow(InvalidInputError);
  });
});

describe('weighted ridge regression (ml-matrix)', () => {
  it('recovers exact linear data with α = 0, whatever the weights', () => {
    const X = [[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [1, 3]];
    const y = X.map(([a, b]) => 0.5 + 2 * a! - 3 * b!);
    const model = weightedRidge(X, y, [1, 2, 0.5, 1, 3, 1], 0);
    expect(model.intercept).toBeCloseTo(0.5, 10);
    expect(Array.from(model.coefficients)[0]).toBeCloseTo(2, 10);
    expect(Array.from(model.coefficients)[1]).toBeCloseTo(-3, 10);
    expect(weightedR2(model, X, y, [1, 1, 1, 1, 1, 1])).toBeCloseTo(1, 10);
  });

  it('matches the closed form of one feature: β = Σw(x−x̄)(y−ȳ) / (Σw(x−x̄)² + α), intercept not penalised', () => {
    const x = [0, 1, 1, 0, 1];
    const y = [1, 3, 2, 2, 4];
    const w = [1, 0.5, 2, 1, 1];
    const alpha = 1.5;
    // Hand-computed: Σw = 5.5, x̄ = 3.5/5.5 = 7/11, ȳ = (1 + 1.5 + 4 + 2 + 4)/5.5 = 12.5/5.5 = 25/11.
    const [xm, ym] = [7 / 11, 25 / 11];
    const sxy = x.reduce((a, xi, i) => a + w[i]! * (xi - xm) * (y[i]! - ym), 0);
    const sxx = x.reduce((a, xi, i) => a + w[i]! * (xi - xm) ** 2, 0);
    const beta = sxy / (sxx + alpha);
    const model = weightedRidge(x.map((v) => [v]), y, w, alpha);
    expect(model.coefficients[0]).toBeCloseTo(beta, 12);
    expect(model.intercept).toBeCloseTo(ym - xm * beta, 12);
    expect(predict(model, [1])).toBeCloseTo(ym + (1 - xm) * beta, 12);
    // R² by hand for the fitted model.
    const ss = (f: (i: number) => number) => x.reduce((a, _, i) => a + w[i]! * f(i) ** 2, 0);
    const r2 = 1 - ss((i) => y[i]! - (model.intercept + beta * x[i]!)) / ss((i) => y[i]! - ym);
    expect(weightedR2(model, x.map((v) => [v]), y, w)).toBeCloseTo(r2, 12);
    expect(() => weightedRidge([[1]], [1], [-1], 1)).toThrow(InvalidInputError);
  });
});

describe('reading a LIME explanation', () => {
  it('top superpixels by |weight|, their boxes, the layer outlines by sign, the evidence map and the verdict', () => {
    // 4×4: superpixel 0 the left two columns, 1 the top right 2×2, 2 the bottom right 2×2.
    const labels = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 2, 2, 0, 0, 2, 2];
    const weights = [0.5, -2, 1];
    const top = topSuperpixels({ labels, weights }, 4, 2);
    expect(top).toEqual([
      { index: 1, weight: -2, pixels: 4, box: { x: 2, y: 0, width: 2, height: 2 } },
      { index: 2, weight: 1, pixels: 4, box: { x: 2, y: 2, width: 2, height: 2 } },
    ]);
    const layer = limeLayer({ labels, weights }, 4, 4, 2, 0.5);
    const px = (x: number, y: number): number[] => Array.from(layer.data.subarray((y * 4 + x) * 4, (y * 4 + x) * 4 + 4));
    expect(px(0, 0)).toEqual([0, 0, 0, 128]); // not in the top 2: dimmed
    expect(px(3, 0)).toEqual([...LIME_AGAINST_COLOUR, 255]);
    expect(px(3, 3)).toEqual([...LIME_FOR_COLOUR, 255]);
    expect(Array.from(topEvidenceMap({ labels, weights }, 1))).toEqual(labels.map((l) => (l === 2 ? 1 : 0)));
    expect(biasVerdict({ objectShare: 0.52, flatShare: 0.5 })).toBe('even');
    expect(biasVerdict({ objectShare: 0.3, flatShare: 0.5 })).toBe('background');
    expect(biasVerdict({ objectShare: 0.8, flatShare: 0.5 })).toBe('object');
    // A surrogate that does not predict the network gives no verdict (a fake camera's pattern: R² −0.72).
    expect(surrogateBiasVerdict({ objectShare: 0.8, flatShare: 0.5 }, 0.83, LIME_DEFAULTS.minR2ForVerdict)).toBe('object');
    expect(surrogateBiasVerdict({ objectShare: 0.3, flatShare: 0.5 }, 0.3, LIME_DEFAULTS.minR2ForVerdict)).toBe('background');
    expect(surrogateBiasVerdict({ objectShare: 0.8, flatShare: 0.5 }, 0.29, LIME_DEFAULTS.minR2ForVerdict)).toBe('unsure');
    expect(surrogateBiasVerdict({ objectShare: 0.3, flatShare: 0.5 }, -0.72, LIME_DEFAULTS.minR2ForVerdict)).toBe('unsure');
    expect(surrogateBiasVerdict({ objectShare: 0.3, flatShare: 0.5 }, Number.NaN, LIME_DEFAULTS.minR2ForVerdict)).toBe('unsure');
  });
});

/** The cat photo with a cup (cropped from coffee.png) pasted into a known 100×100 box, at model size 224×224. */
async function cupOnCat(): Promise<{ pixels: Uint8Array; box: { x: number; y: number; width: number; height: number } }> {
  const box = { x: 116, y: 112, width: 100, height: 100 };
  const cup = await sharp(imagePath('coffee.png')).extract({ left: 165, top: 10, width: 250, height: 290 }).resize(box.width, box.height, { fit: 'fill' }).png().toBuffer();
  const { data } = await sharp(imagePath('chelsea.png')).resize(224, 224, { fit: 'fill' }).composite([{ input: cup, left: box.x, top: box.y }]).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data), box };
}

describe('LIME (Ribeiro et al. 2016) on the real lite model', () => {
  it('its linear model predicts the network on held-out samples; map = superpixel weights; no tensors leak', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const map = await lime(model, input, { target: 'top', superpixels: 20, samples: 64, onProgress: (done) => steps.push(done) });
    expect(tf.memory().numTensors).toBe(before);
    const l = readLime(map.extras)!;
    console.log(`LIME coffee.png: held-out R² ${l.r2.toFixed(3)}, ${map.extras!['count']} superpixels, 64 samples`);
    expect(map.target).toEqual({ kind: 'class', index: 967 });
    expect(l.r2).toBeGreaterThan(0.4);
    expect(steps.at(-1)).toBe(64);
    // Every pixel carries its superpixel's weight; data is the positive part.
    for (let p = 0; p < map.signed!.length; p += 97) {
      expect(map.signed![p]).toBeCloseTo(l.weights[l.labels[p]!]!, 5);
      expect(map.data[p]).toBeCloseTo(Math.max(0, l.weights[l.labels[p]!]!), 5);
    }
    // The score of the picture itself is the network's espresso logit.
    const logits = model.run(input.tensor, { logits: true }).logits!;
    expect(l.score).toBeCloseTo((await logits.data())[967]!, 3);
    logits.dispose();
    input.tensor.dispose();
  });

  it('on a cup pasted onto the cat photo, the top superpixels lie on the cup', async () => {
    const model = await net('lite');
    const { pixels, box } = await cupOnCat();
    const input = imageToModelInput({ width: 224, height: 224, data: pixels });
    const map = await lime(model, input, { target: 'top', superpixels: 20, samples: 64 });
    const l = readLime(map.extras)!;
    expect(map.target).toEqual({ kind: 'class', index: 968 }); // cup
    const top = topSuperpixels(l, 224, 3);
    const insideShare = top.map((s) => {
      let inside = 0;
      for (let p = 0; p < l.labels.length; p++) {
        const [x, y] = [p % 224, Math.floor(p / 224)];
        if (l.labels[p] === s.index && x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height) inside++;
      }
      return inside / s.pixels;
    });
    console.log(`LIME cup on cat: held-out R² ${l.r2.toFixed(3)}; top 3 weights ${top.map((s) => s.weight.toFixed(2)).join(', ')}, shares on the cup ${insideShare.map((v) => v.toFixed(2)).join(', ')}`);
    expect(insideShare.filter((v) => v > 0.5).length).toBeGreaterThanOrEqual(2);
    // The bias check on the top evidence: its mass lies on the pasted cup far more than a flat map's 20 %.
    const check = backgroundCheck(topEvidenceMap(l, 3), 224, 224, box);
    expect(check.objectShare).toBeGreaterThan(0.5);
    input.tensor.dispose();
  });

  it('rejects bad settings in one line and honours cancellation', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    await expect(lime(model, input, { target: 'top', superpixels: 1 })).rejects.toThrow(InvalidInputError);
    await expect(lime(model, input, { target: 'top', kernelWidth: 0 })).rejects.toThrow(/kernel width/);
    const controller = new AbortController();
    controller.abort();
    const before = tf.memory().numTensors;
    await expect(lime(model, input, { target: 'top', signal: controller.signal, samples: LIME_DEFAULTS.samples })).rejects.toThrow(/cancelled/);
    expect(tf.memory().numTensors).toBe(before);
    input.tensor.dispose();
  });
});

describe('LIME in the worker\'s explain job and the CLI', () => {
  it('the explain job runs method lime and returns its superpixels and weights', async () => {
    const h = workerHarness();
    await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused' });
    await h.handle({ type: 'job', id: 2, job: { kind: 'explain', method: 'lime', classIndex: 967, image: sharedImage('coffee.png'), options: { samples: 16, superpixels: 8 } } });
    const done = await h.waitFor((r) => r.id === 2 && r.type === 'done');
    if (done.type !== 'done' || done.result.kind !== 'explain') throw new Error(`expected an explain result, got ${JSON.stringify(done).slice(0, 200)}`);
    const l = readLime(done.result.extras)!;
    expect(l.labels.length).toBe(224 * 224);
    expect(l.weights.length).toBe(done.result.extras!['count']);
    expect(done.result.extras!['samples']).toBe(16);
    expect(Math.max(...done.result.heatmap.data)).toBeCloseTo(1, 5); // shown up to its maximum
  });

  it('explain --method lime --json reports R² and the top superpixels; bad counts get one line', async () => {
    const r = await runCli('explain', imagePath('coffee.png'), '--model', 'lite', '--method', 'lime', '--samples', '20', '--superpixels', '8', '--top', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { method: string; lime: { r2: number | null; superpixels: number; top: { index: number; weight: number; pixels: number }[] } };
    expect(json.method).toBe('lime');
    expect(json.lime.top.length).toBe(3);
    expect(Math.abs(json.lime.top[0]!.weight)).toBeGreaterThanOrEqual(Math.abs(json.lime.top[2]!.weight));
    expect(json.lime.r2 === null || typeof json.lime.r2 === 'number').toBe(true);
    const bad = await runCli('explain', imagePath('coffee.png'), '--model', 'lite', '--method', 'lime', '--superpixels', '1');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n').filter((line) => !/tfjs|====|Hi, looks|tensorflow|^$/i.test(line)).length).toBeLessThanOrEqual(2);
  });
});
