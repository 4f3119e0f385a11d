import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/core/errors';
import { quantizeInBall } from '../src/core/optimize/pixels';
import { YOSINSKI_TABLE_1, preset, yosinskiPreset } from '../src/core/optimize/presets';
import { checkEpsilon, l2Ball, linfBall, pixelRange } from '../src/core/optimize/projections';
import { createRng } from '../src/core/optimize/random';
import {
  blur,
  clipSmallContribution,
  clipSmallNorm,
  gaussianBlur,
  gaussianKernel,
  jitter,
  l2Decay,
  roll,
  totalVariationOf,
} from '../src/core/optimize/regularisers';
import { adam, normalizedAscent, signAscent, type StepContext } from '../src/core/optimize/steps';
import { uapFromFile, uapToFile } from '../src/core/optimize/uap';
import { l2Pixels, linfPixels } from './helpers';

/** Model-free parts of the optimisation engine: projections, regularisers, step rules, PRNG, file format. */

const S = 224;
const randomImage = (seed: number, scale = 1): tf.Tensor4D =>
  tf.tidy(() => tf.mul(tf.randomUniform([1, S, S, 3], -1, 1, 'float32', seed), scale) as tf.Tensor4D);


function ctx(x: tf.Tensor4D, gradient: tf.Tensor4D): StepContext {
  return { step: 0, steps: 1, x, gradient, inputGradient: gradient, taps: { activations: {} } };
}

describe('projections', () => {
  it('L∞ ball holds exactly (double precision) for every ε, and moves nothing already inside', async () => {
    const center = randomImage(1, 0.9);
    const far = randomImage(2);
    for (const eps of [0.5, 1, 8, 10, 16.3]) {
      const p = linfBall(center, eps).project(far);
      const clipped = pixelRange().project(p);
      expect(await linfPixels(p, center)).toBeLessThanOrEqual(eps);
      expect(await linfPixels(clipped, center)).toBeLessThanOrEqual(eps);
      // Saturated: the projection reaches the ball's edge (up to the float32 slack).
      expect(await linfPixels(p, center)).toBeGreaterThan(eps - 1e-3);
      tf.dispose([p, clipped]);
    }
    const near = tf.tidy(() => tf.add(center, tf.mul(tf.sign(tf.sub(far, center)), 2 / 127.5)) as tf.Tensor4D);
    const kept = linfBall(center, 8).project(near);
    expect(await linfPixels(kept, near)).toBeLessThan(1e-4);
    tf.dispose([center, far, near, kept]);
  });

  it('L2 ball holds, scales along the ray, and pixel range clips to [−1, 1]', async () => {
    const center = randomImage(3, 0.5);
    const far = randomImage(4);
    const p = l2Ball(center, 500).project(far);
    const d = await l2Pixels(p, center);
    expect(d).toBeLessThanOrEqual(500);
    expect(d).toBeGreaterThan(499.9);
    // Same direction: (p − c) is a positive multiple of (far − c).
    const cos = tf.tidy(() => {
      const a = tf.sub(p, center);
      const b = tf.sub(far, center);
      return tf.div(tf.sum(tf.mul(a, b)), tf.mul(tf.norm(a), tf.norm(b))).dataSync()[0]!;
    });
    expect(cos).toBeCloseTo(1, 5);
    const big = tf.mul(far, 3) as tf.Tensor4D;
    const r = pixelRange().project(big);
    const [lo, hi] = [tf.min(r).dataSync()[0]!, tf.max(r).dataSync()[0]!];
    expect(lo).toBe(-1);
    expect(hi).toBe(1);
    tf.dispose([center, far, p, big, r]);
  });

  it('rejects ε ≤ 0 with InvalidInputError', () => {
    const c = tf.zeros([1, S, S, 3]) as tf.Tensor4D;
    for (const eps of [0, -1, Number.NaN]) {
      expect(() => linfBall(c, eps)).toThrow(InvalidInputError);
      expect(() => l2Ball(c, eps)).toThrow(/eps must be a positive number/);
      expect(() => checkEpsilon(eps)).toThrow(InvalidInputError);
    }
    c.dispose();
  });

  it('8-bit rounding inside the ball stays within ε of a float centre and lands on the pixel grid', async () => {
    const center = randomImage(5, 0.95);
    const x = randomImage(6);
    for (const eps of [1, 2.5]) {
      const qe = quantizeInBall(x, center, eps);
      expect(await linfPixels(qe, center)).toBeLessThanOrEqual(eps);
      qe.dispose();
    }
    const q = quantizeInBall(x, center, 8);
    expect(await linfPixels(q, center)).toBeLessThanOrEqual(8);
    const grid = await q.data();
    for (let i = 0; i < grid.length; i += 997) {
      const p = (grid[i]! + 1) * 127.5;
      expect(Math.abs(p - Math.round(p))).toBeLessThan(1e-3);
    }
    tf.dispose([center, x, q]);
  });
});

describe('regularisers', () => {
  it('Gaussian kernel sums to 1; blur keeps the mean and lowers the variance; blur runs every k steps', () => {
    expect(gaussianKernel(1).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(gaussianKernel(1)).toHaveLength(7);
    const x = randomImage(7);
    const y = blur(x, 1);
    expect(y.shape).toEqual(x.shape);
    const stats = (t: tf.Tensor): [number, number] => tf.tidy(() => {
      const { mean, variance } = tf.moments(t);
      return [mean.dataSync()[0]!, variance.dataSync()[0]!];
    });
    const [m0, v0] = stats(x);
    const [m1, v1] = stats(y);
    expect(m1).toBeCloseTo(m0, 2);
    expect(v1).toBeLessThan(v0 / 4);
    const reg = gaussianBlur({ sigma: 1, every: 4 });
    const g = tf.zerosLike(x);
    const untouched = reg.apply!(x, { step: 0, steps: 8, gradient: g });
    const blurred = reg.apply!(x, { step: 3, steps: 8, gradient: g });
    expect(untouched).toBe(x);
    expect(stats(blurred)[1]).toBeCloseTo(v1, 5);
    tf.dispose([x, y, g, blurred]);
  });

  it('roll is a circular shift undone by the opposite shift; jitter maps the gradient back', () => {
    const x = randomImage(8);
    const r = roll(x, 3, -5);
    expect(r.arraySync()[0]![3]![0]).toEqual(x.arraySync()[0]![0]![5]);
    const back = roll(r, -3, 5);
    expect(tf.max(tf.abs(tf.sub(back, x))).dataSync()[0]).toBe(0);
    const j = jitter(8).transform!(x, { step: 0, rng: createRng(1) });
    const undone = j.undo(j.input);
    expect(tf.max(tf.abs(tf.sub(undone, x))).dataSync()[0]).toBe(0);
    tf.dispose([x, r, back, j.input, undone]);
  });

  it('clip small norm zeroes the given share of pixels, the smallest ones', async () => {
    const x = randomImage(9);
    const y = clipSmallNorm(50).apply!(x, { step: 0, steps: 1, gradient: x });
    const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(x), 3)).dataSync());
    const kept = tf.tidy(() => tf.sum(tf.abs(y), 3).dataSync());
    let zeroed = 0;
    let maxZeroed = 0;
    let minKept = Infinity;
    for (let i = 0; i < norms.length; i++) {
      if (kept[i] === 0) {
        zeroed++;
        maxZeroed = Math.max(maxZeroed, norms[i]!);
      } else minKept = Math.min(minKept, norms[i]!);
    }
    expect(zeroed / norms.length).toBeCloseTo(0.5, 2);
    expect(maxZeroed).toBeLessThanOrEqual(minKept);
    tf.dispose([x, y]);
  });

  it('clip small contribution zeroes pixels whose |Σ x·g| is smallest', () => {
    const x = randomImage(10);
    // Gradient that makes the left half (50 % of pixels) contribute nothing: clipping 60 % removes all of them.
    const g = tf.tidy(() => tf.concat([tf.zeros([1, S, S / 2, 3]), tf.ones([1, S, S / 2, 3])], 2) as tf.Tensor4D);
    const y = clipSmallContribution(60).apply!(x, { step: 0, steps: 1, gradient: g });
    const left = tf.tidy(() => tf.sum(tf.abs(tf.slice(y, [0, 0, 0, 0], [1, S, S / 2, 3]))).dataSync()[0]!);
    const right = tf.tidy(() => tf.sum(tf.abs(tf.slice(y, [0, 0, S / 2, 0], [1, S, S / 2, 3]))).dataSync()[0]!);
    expect(left).toBe(0);
    expect(right).toBeGreaterThan(0);
    tf.dispose([x, g, y]);
  });

  it('L2 decay shrinks, total variation falls under its own gradient, bad weights throw', () => {
    const x = randomImage(11);
    const y = l2Decay(0.3).apply!(x, { step: 0, steps: 1, gradient: x });
    expect(tf.sum(tf.abs(tf.sub(y, tf.mul(x, 0.7)))).dataSync()[0]).toBeLessThan(1e-2);
    const tv0 = totalVariationOf(x).dataSync()[0]!;
    const g = tf.grad((v: tf.Tensor) => totalVariationOf(v as tf.Tensor4D))(x);
    const x1 = tf.sub(x, tf.mul(g, 0.01)) as tf.Tensor4D;
    expect(totalVariationOf(x1).dataSync()[0]!).toBeLessThan(tv0);
    expect(() => l2Decay(1)).toThrow(InvalidInputError);
    expect(() => clipSmallNorm(100)).toThrow(InvalidInputError);
    expect(() => gaussianBlur({ sigma: 0, every: 1 })).toThrow(InvalidInputError);
    tf.dispose([x, y, g, x1]);
  });
});

describe('step rules, presets, PRNG', () => {
  it('normalised ascent moves by lr in RMS; sign ascent by exactly lr; Adam releases its state', () => {
    const x = tf.zeros([1, S, S, 3]) as tf.Tensor4D;
    const g = tf.mul(randomImage(12), 1e-4) as tf.Tensor4D;
    const n = normalizedAscent(0.05).start();
    expect(tf.tidy(() => tf.sqrt(tf.mean(tf.square(n.update(ctx(x, g))))).dataSync()[0]!)).toBeCloseTo(0.05, 5);
    const s = signAscent(0.01).start();
    expect(tf.tidy(() => tf.max(tf.abs(s.update(ctx(x, g)))).dataSync()[0]!)).toBeCloseTo(0.01, 7);
    const before = tf.memory().numTensors;
    const a = adam({ lr: 0.05 }).start();
    for (let i = 0; i < 3; i++) tf.tidy(() => void a.update(ctx(x, g)));
    expect(tf.memory().numTensors).toBe(before + 2); // first and second moment
    a.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => normalizedAscent(0)).toThrow(InvalidInputError);
    tf.dispose([x, g]);
  });

  it('presets are documented and Yosinski rows come from Table 1', () => {
    for (const name of ['l2', 'yosinski', 'lucid-lite', 'lucid']) expect(preset(name).description.length).toBeGreaterThan(20);
    expect(preset('yosinski').regularisers().map((r) => r.name)).toEqual(['L2 decay 0.0001', 'blur σ=1 every 4']);
    expect(yosinskiPreset(4).regularisers().map((r) => r.name)).toEqual(['blur σ=0.5 every 4', 'clip contribution < p90']);
    expect(YOSINSKI_TABLE_1).toHaveLength(4);
    expect(() => preset('fancy')).toThrow(/unknown preset 'fancy'/);
    expect(() => yosinskiPreset(5)).toThrow(InvalidInputError);
  });

  it('the PRNG is a pure function of its seed', () => {
    const draw = (seed: number): number[] => {
      const r = createRng(seed);
      return [r.next(), r.int(-8, 8), r.normal(), ...r.permutation(5)];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });
});

describe('perturbation file', () => {
  it('round-trips exactly and rejects malformed files', async () => {
    const v = tf.tidy(() => tf.mul(tf.sign(randomImage(13)), 10 / 127.5) as tf.Tensor4D);
    const file = await uapToFile({ perturbation: v, foolingRate: 0.5, passes: 1, images: 2, eps: 10, attack: 'deepfool' }, { model: 'lite' });
    const text = JSON.stringify(file);
    const { perturbation } = uapFromFile(JSON.parse(text));
    expect(tf.max(tf.abs(tf.sub(perturbation, v))).dataSync()[0]).toBe(0);
    expect(file).toMatchObject({ format: 'convlens-uap', eps: 10, shape: [224, 224, 3], units: 'pixel', model: 'lite' });
    expect(() => uapFromFile({ hello: 1 })).toThrow(InvalidInputError);
    expect(() => uapFromFile({ ...file, shape: [10, 10, 3] })).toThrow(/shape/);
    expect(() => uapFromFile({ ...file, data: file.data.slice(0, 100) })).toThrow(InvalidInputError);
    tf.dispose([v, perturbation]);
  });
});
