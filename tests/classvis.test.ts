import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/core/errors';
import { DEFAULT_VISUALIZE_PRESET, VISUALIZE_JOB, visualizeJobSteps } from '../src/core/optimize/defaults';
import { optimize } from '../src/core/optimize/engine';
import { classLogit } from '../src/core/optimize/objectives';
import { fourierParameterisation, hartleyBasis, spectrumFrequencies } from '../src/core/optimize/parameterisations';
import { raiseContrast } from '../src/core/optimize/pixels';
import { preset } from '../src/core/optimize/presets';
import { createRng } from '../src/core/optimize/random';
import { jitter } from '../src/core/optimize/regularisers';
import { adam } from '../src/core/optimize/steps';
import { randomAffine } from '../src/core/optimize/transforms';
import { visualizeClass } from '../src/core/optimize/visualize';
import { net } from './helpers';

/** Lucid's decorrelated Fourier parameterisation and transforms, and the default class visualisation they make. */

/** A smooth periodic test image on an n × n grid: a few low-frequency waves per channel, in model units. */
function periodicImage(n: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  const data = new Float32Array(n * n * 3);
  const waves = Array.from({ length: 9 }, () => ({ ky: rng.int(-3, 3), kx: rng.int(-3, 3), phase: rng.next() * 6.28, c: rng.int(0, 2), a: rng.normal() * 0.3 }));
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      for (const w of waves) data[(y * n + x) * 3 + w.c]! += w.a * Math.cos((2 * Math.PI * (w.ky * y + w.kx * x)) / n + w.phase);
    }
  }
  return tf.tensor4d(data, [1, n, n, 3]);
}

describe('decorrelated Fourier parameterisation', () => {
  it('the truncated Hartley basis has orthonormal rows', () => {
    const n = 24;
    const freqs = spectrumFrequencies(n, 5);
    expect(freqs).toEqual([0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5]);
    const b = tf.tensor2d(hartleyBasis(n, freqs), [freqs.length, n]);
    const gram = tf.matMul(b, b, false, true);
    expect(tf.max(tf.abs(tf.sub(gram, tf.eye(freqs.length)))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([b, gram]);
  });

  it('zero spectrum is the grey image; images stay inside (−1, 1); the pullback equals autodiff', () => {
    const p = fourierParameterisation(32, { maxFrequency: 6 });
    expect(p.variableShape(32)).toEqual([1, 3, 13, 13]);
    const grey = p.toImage(tf.zeros([1, 3, 13, 13]));
    expect(grey.shape).toEqual([1, 32, 32, 3]);
    expect(tf.max(tf.abs(grey)).dataSync()[0]).toBe(0);
    const v = tf.mul(tf.randomNormal([1, 3, 13, 13], 0, 1, 'float32', 3), 0.3) as tf.Tensor4D;
    const image = p.toImage(v);
    const range = tf.max(tf.abs(image)).dataSync()[0]!;
    expect(range).toBeGreaterThan(0.05);
    expect(range).toBeLessThan(1);
    const g = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const explicit = p.pullback!(image, g);
    const auto = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(p.toImage(x as tf.Tensor4D), g)))(v);
    const scale = tf.max(tf.abs(auto)).dataSync()[0]!;
    expect(tf.max(tf.abs(tf.sub(explicit, auto))).dataSync()[0]).toBeLessThan(1e-4 * scale);
    // Low frequencies get the larger share: the DC coefficient's gradient is scaled by n, the highest by ~n/(6√2).
    tf.dispose([grey, v, image, g, explicit, auto]);
    expect(() => p.variableShape(224)).toThrow(InvalidInputError);
    expect(() => fourierParameterisation(32, { maxFrequency: 0 })).toThrow(InvalidInputError);
  });
});

describe('random scale and rotation', () => {
  it('scale 1 and 0° is the identity; its undo is the adjoint for smooth periodic images', () => {
    const x = periodicImage(64, 1);
    const g = periodicImage(64, 2);
    const identity = randomAffine({ scale: [1, 1], degrees: 0 }).transform!(x, { step: 0, rng: createRng(0) });
    expect(tf.max(tf.abs(tf.sub(identity.input, x))).dataSync()[0]).toBeLessThan(1e-5);
    const t = randomAffine({ scale: [1.1, 1.1], degrees: 10 }).transform!(x, { step: 0, rng: createRng(0) });
    expect(tf.mean(tf.abs(tf.sub(t.input, x))).dataSync()[0]).toBeGreaterThan(0.05); // it does move the picture
    const forward = tf.sum(tf.mul(t.input, g)).dataSync()[0]!;
    const back = tf.sum(tf.mul(x, t.undo(g))).dataSync()[0]!;
    const norm = Math.sqrt(tf.sum(tf.square(x)).dataSync()[0]! * tf.sum(tf.square(g)).dataSync()[0]!);
    expect(Math.abs(forward - back)).toBeLessThan(0.03 * norm);
    tf.dispose([x, g, identity.input, t.input]);
    expect(() => randomAffine({ scale: [1.1, 0.9], degrees: 5 })).toThrow(InvalidInputError);
    expect(() => randomAffine({ scale: [1, 1], degrees: -1 })).toThrow(InvalidInputError);
    expect(() => randomAffine({ scale: [1, 1], degrees: 0, jitter: [1.5, 0] })).toThrow(InvalidInputError);
  });

  it('with shifts it is the rolled jitter, scale/rotation, rolled jitter of Lucid in one resampling (same draws)', () => {
    const x = periodicImage(96, 3);
    const g = periodicImage(96, 4);
    const separate = [jitter(8), randomAffine({ scale: [0.9, 1.1], degrees: 10 }), jitter(4)];
    for (const seed of [0, 1, 2]) {
      const rngA = createRng(seed);
      const steps = separate.map((r) => r.transform!);
      const t1 = steps[0]!(x, { step: 0, rng: rngA });
      const t2 = steps[1]!(t1.input, { step: 0, rng: rngA });
      const t3 = steps[2]!(t2.input, { step: 0, rng: rngA });
      const one = randomAffine({ scale: [0.9, 1.1], degrees: 10, jitter: [8, 4] }).transform!(x, { step: 0, rng: createRng(seed) });
      // Equal away from the wrap seam (tf.image.transform's 'wrap' clamps the last half pixel instead of blending
      // across the border, so the seam, which sits elsewhere in the two pipelines, differs by a pixel or two).
      const inner = (t: tf.Tensor4D): tf.Tensor4D => tf.slice(t, [0, 24, 24, 0], [1, 48, 48, 3]);
      const undoneSeparate = t1.undo(t2.undo(t3.undo(g)));
      const undone = one.undo(g);
      expect(tf.max(tf.abs(tf.sub(inner(one.input), inner(t3.input)))).dataSync()[0]).toBeLessThan(1e-4);
      expect(tf.max(tf.abs(tf.sub(inner(undone), inner(undoneSeparate)))).dataSync()[0]).toBeLessThan(1e-4);
      // Elsewhere only the seam lines differ: a few per cent of the pixels.
      expect(tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(one.input, t3.input)), 1e-3), 'float32')).dataSync()[0]).toBeLessThan(0.1);
    }
    // A pure shift is the roll itself.
    const shift = randomAffine({ scale: [1, 1], degrees: 0, jitter: [5, 0] }).transform!(x, { step: 0, rng: createRng(7) });
    const roll = jitter(5).transform!(x, { step: 0, rng: createRng(7) });
    expect(tf.max(tf.abs(tf.sub(shift.input, roll.input))).dataSync()[0]).toBeLessThan(1e-5);
  });
});

describe('display contrast of sigmoid-made images', () => {
  it('brings the 99th percentile of |atanh(x)| to atanh(level), keeps every sign and ratio, never lowers', () => {
    // z values 0.01 … 1.00 (100 pixels × 3 channels, each value thrice): x = tanh(z); the 99th percentile of |z| by
    // raiseContrast's rule is the 3rd largest of 300 (k = ceil(300 · 1 %) = 3) = 1.00, so the gain is atanh(0.9) / 1.
    const z = Float32Array.from({ length: 300 }, (_, i) => (i % 2 ? -1 : 1) * (Math.floor(i / 3) + 1) / 100);
    const x = tf.tensor4d(z.map(Math.tanh), [1, 10, 10, 3]);
    const y = raiseContrast(x, { percentile: 99, level: 0.9 }).dataSync();
    const gain = Math.atanh(0.9);
    z.forEach((v, i) => expect(y[i]!).toBeCloseTo(Math.tanh(gain * v), 4));
    // A picture already at full contrast is left as it is.
    const strong = tf.tensor4d(z.map((v) => Math.tanh(3 * v)), [1, 10, 10, 3]);
    const same = raiseContrast(strong);
    expect(tf.max(tf.abs(tf.sub(same, strong))).dataSync()[0]).toBeLessThan(1e-4);
    tf.dispose([x, strong, same]);
    expect(() => raiseContrast(x, { level: 1 })).toThrow(InvalidInputError);
    expect(() => raiseContrast(x, { percentile: 0 })).toThrow(InvalidInputError);
  });
});

describe('class visualisation with the default (Lucid) recipe', () => {
  it("sizes the app's default job to the measured gradient frame: up to 100 steps in 45 s, down to 20 on slow devices, 40 unmeasured", () => {
    expect([undefined, 0, 30, 450, 756, 5000].map(visualizeJobSteps)).toEqual([40, 40, 100, 100, 59, 20]);
  });

  it('runs on the Fourier variable, frees every tensor, previews only when read', async () => {
    const model = await net('lite');
    const before = tf.memory().numTensors;
    const previews: number[] = [];
    const counts: number[] = [];
    const r = await optimize(model, {
      objective: classLogit(model, 1),
      init: { kind: 'noise', std: 0.01 },
      steps: 4,
      stepRule: adam({ lr: 0.05 }),
      regularisers: preset('lucid').regularisers(),
      parameterisation: fourierParameterisation(model.inputSize),
      seed: 1,
      onProgress: (p) => {
        counts.push(tf.memory().numTensors);
        if (p.step % 2 !== 0) return;
        const m = tf.tidy(() => tf.max(tf.abs(p.image)));
        previews.push(m.dataSync()[0]!);
        m.dispose();
      },
    });
    expect(r.image.shape).toEqual([1, 224, 224, 3]);
    expect(r.values.at(-1)!).toBeGreaterThan(r.values[0]!);
    expect(previews).toHaveLength(2);
    expect(new Set(counts).size).toBe(1);
    expect(previews.every((m) => m > 0 && m < 1)).toBe(true);
    r.image.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(optimize(model, { objective: classLogit(model, 1), init: tf.zeros([1, 224, 224, 3]), steps: 1, stepRule: adam({ lr: 0.05 }), parameterisation: fourierParameterisation(224) })).rejects.toThrow(InvalidInputError);
  });

  it("the lite model's goldfish at the default budget is in the standard model's top 5", async () => {
    // A cross-width check: the maker is convinced by any recipe (the l2 preset's noise too), the other width only
    // by a picture with the class's shapes and colours. At 20 steps this goldfish was 7th; the l2 preset's
    // pictures fail it (README, bench/classvis.bench.ts).
    expect(DEFAULT_VISUALIZE_PRESET).toBe('lucid');
    const lite = await net('lite');
    const standard = await net('standard');
    const r = await visualizeClass(lite, 1, { steps: VISUALIZE_JOB.default.steps });
    expect(r.preset).toBe('lucid');
    expect(r.top).toBe(1);
    // The picture is the contrast-raised one: its 99th percentile |value| sits at the preset's 0.9 (8-bit rounding
    // aside); the run itself leaves it near 0.45 at this budget (gains 2.5–4).
    expect(r.contrastRaised).toBe(true);
    const magnitudes = Float32Array.from(r.image.dataSync(), Math.abs).sort();
    expect(magnitudes[Math.ceil(magnitudes.length * 0.99) - 1]!).toBeCloseTo(0.9, 1);
    const logits = tf.tidy(() => standard.run(r.image, { logits: true }).logits!);
    const values = (await logits.data()) as Float32Array;
    tf.dispose([logits, r.image]);
    expect(values.filter((v) => v > values[1]!).length + 1).toBeLessThanOrEqual(5);
  }, 240_000);
});
