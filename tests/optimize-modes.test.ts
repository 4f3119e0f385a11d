import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/core/errors';
import { deepFoolAttack, gradientAttack } from '../src/core/optimize/attacks';
import type { Progress } from '../src/core/optimize/engine';
import { fool } from '../src/core/optimize/fool';
import { invertFeatures } from '../src/core/optimize/invert';
import { perturbationNorms, topClasses } from '../src/core/optimize/pixels';
import { applyPerturbation, foolingRate, universalPerturbation } from '../src/core/optimize/uap';
import { visualizeClass, visualizeFeature } from '../src/core/optimize/visualize';
import { imageToModelInput, modelInputToImage } from '../src/core/preprocess';
import { decodeImage, encodePng } from '../src/node/image-io';
import { modelInput, net } from './helpers';

/** The modes built on the engine, on the real lite model and the shared photos. */

const PHOTOS = ['coffee.png', 'chelsea.png', 'astronaut.png', 'rocket.jpg', 'motorcycle_left.png', 'camera.png', 'clock_motion.png'];
const OSTRICH = 9;

/** What a user gets back from a saved result: PNG bytes decoded and prepared again. */
async function throughPng(x: tf.Tensor4D): Promise<tf.Tensor4D> {
  return imageToModelInput(await decodeImage(encodePng(await modelInputToImage(x)))).tensor;
}

describe('visualisation and inversion (lite)', () => {
  it('visualize --class: the 8-bit result is classified as that class; progress every step', async () => {
    const model = await net('lite');
    const progress: Progress[] = [];
    const r = await visualizeClass(model, 130, { preset: 'l2', steps: 30, onProgress: (p) => progress.push({ ...p }) });
    expect(r.class).toEqual({ index: 130, label: 'flamingo' });
    expect(r.top).toBe(130);
    expect(r.probability).toBeGreaterThan(0.9);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(progress.every((p) => p.steps === 30 && Number.isFinite(p.objective))).toBe(true);
    expect(progress.at(-1)!.objective).toBeGreaterThan(progress[0]!.objective + 10);
    const reloaded = await throughPng(r.image);
    expect(await topClasses(model, reloaded)).toEqual([130]);
    expect(tf.max(tf.abs(tf.sub(reloaded, r.image))).dataSync()[0]).toBe(0); // already on the 8-bit grid
    tf.dispose([r.image, reloaded]);
  });

  it('lucid-lite reaches the class too, from noise', async () => {
    const model = await net('lite');
    const r = await visualizeClass(model, 417, { preset: 'lucid-lite', steps: 25 });
    expect(r.top).toBe(417);
    expect(r.probability).toBeGreaterThan(0.5);
    r.image.dispose();
  });

  it('visualize --layer: the channel and the single unit rise well above their grey-image value', async () => {
    const model = await net('lite');
    const channel = await visualizeFeature(model, { kind: 'channel', layer: 'conv_pw_5_relu', channel: 10 }, { preset: 'yosinski', steps: 8 });
    expect(channel.objectiveLayer).toBe('conv_pw_5_bn');
    expect(channel.activation).toBeGreaterThan(channel.startActivation + 0.5);
    const unit = await visualizeFeature(model, { kind: 'neuron', layer: 'conv_pw_5_relu', channel: 10, x: 14, y: 14 }, { steps: 8, init: 'noise' });
    expect(unit.activation).toBeGreaterThan(unit.startActivation + 2);
    tf.dispose([channel.image, unit.image]);
  });

  it('invert: the features of the result approach those of the photo', async () => {
    const model = await net('lite');
    const photo = modelInput('chelsea.png').tensor;
    const r = await invertFeatures(model, photo, 'conv_pw_3_relu', { steps: 12 });
    expect(r.distance).toBeLessThan(0.7 * r.startDistance);
    // And the picture moved towards the photo (pixels, not only features).
    const start = tf.zerosLike(photo);
    const towards = tf.tidy(() => tf.norm(tf.sub(r.image, photo)).dataSync()[0]! < tf.norm(tf.sub(start, photo)).dataSync()[0]!);
    expect(towards).toBe(true);
    tf.dispose([photo, start, r.image]);
  });
});

describe('fooling images (lite)', () => {
  it('every shared photo becomes an ostrich within ε = 8, and the saved 8-bit PNG still fools', async () => {
    const model = await net('lite');
    const before = tf.memory().numTensors;
    for (const name of PHOTOS) {
      const photo = modelInput(name).tensor;
      const r = await fool(model, photo, OSTRICH, { eps: 8 });
      expect(r.success, name).toBe(true);
      expect(r.adversarial.index, name).toBe(OSTRICH);
      expect(r.target.index).toBe(OSTRICH);
      expect(r.original.index, name).not.toBe(OSTRICH);
      expect(r.linf, name).toBeLessThanOrEqual(8);
      expect(r.linf, name).toBeGreaterThan(0);
      const reloaded = await throughPng(r.image);
      expect(await topClasses(model, reloaded), name).toEqual([OSTRICH]);
      const norms = await perturbationNorms(reloaded, photo);
      expect(norms.linf, name).toBeLessThanOrEqual(8);
      expect(norms.l2).toBeCloseTo(r.l2, 1);
      tf.dispose([photo, reloaded, r.image]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a tiny budget fails honestly; bad arguments throw', async () => {
    const model = await net('lite');
    const photo = modelInput('coffee.png').tensor;
    const r = await fool(model, photo, OSTRICH, { eps: 1, steps: 2 });
    expect(r.success).toBe(false);
    expect(r.adversarial.index).not.toBe(OSTRICH);
    expect(r.linf).toBeLessThanOrEqual(1);
    await expect(fool(model, photo, 1000)).rejects.toThrow(/target class 1000 is out of range/);
    await expect(fool(model, photo, OSTRICH, { eps: 0 })).rejects.toThrow(InvalidInputError);
    await expect(fool(model, photo, OSTRICH, { eps: -3 })).rejects.toThrow(/eps must be a positive number/);
    await expect(fool(model, photo, OSTRICH, { eps: 0.5 })).rejects.toThrow(/at least 1 pixel level/);
    tf.dispose([photo, r.image]);
  });
});

describe('DeepFool and universal perturbations (lite)', () => {
  it('DeepFool changes the class with a far smaller perturbation than a signed-gradient attack', async () => {
    const model = await net('lite');
    const photo = modelInput('coffee.png').tensor;
    const [label] = await topClasses(model, photo);
    const zero = tf.zerosLike(photo);
    const df = await deepFoolAttack({ candidates: 3 }).run(model, photo, label!);
    const grad = await gradientAttack().run(model, photo, label!);
    for (const r of [df, grad]) {
      expect(r.converged).toBe(true);
      const adv = applyPerturbation(photo, r.perturbation);
      expect((await topClasses(model, adv))[0]).not.toBe(label);
      adv.dispose();
    }
    const [dfNorm, gradNorm] = [await perturbationNorms(df.perturbation, zero), await perturbationNorms(grad.perturbation, zero)];
    expect(dfNorm.l2).toBeLessThan(gradNorm.l2 / 2);
    tf.dispose([photo, zero, df.perturbation, grad.perturbation]);
  });

  it('UAP with the gradient attack fools most training images with ‖v‖∞ ≤ 10; the rate is what uap-eval measures', async () => {
    const model = await net('lite');
    const images = PHOTOS.map((n) => modelInput(n).tensor);
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const r = await universalPerturbation(model, images, { eps: 10, maxPasses: 2, attack: gradientAttack(), onProgress: (p) => progress.push(p.step) });
    expect(r.foolingRate).toBeGreaterThanOrEqual(0.8);
    expect(r.images).toBe(7);
    expect(progress[0]).toBe(1);
    expect(progress).toHaveLength(r.passes * 7);
    const zero = tf.zerosLike(r.perturbation);
    const { linf } = await perturbationNorms(r.perturbation, zero);
    expect(linf).toBeLessThanOrEqual(10);
    expect(linf).toBeGreaterThan(0);
    const check = await foolingRate(model, images, r.perturbation);
    expect(check.foolingRate).toBe(r.foolingRate);
    expect(check.changed.filter(Boolean)).toHaveLength(Math.round(r.foolingRate * 7));
    tf.dispose([r.perturbation, zero]);
    expect(tf.memory().numTensors).toBe(before);
    images.forEach((t) => t.dispose());
  });

  it('UAP with DeepFool (the paper\'s inner step) accumulates within the ball; cancel stops it', async () => {
    const model = await net('lite');
    const images = ['coffee.png', 'chelsea.png', 'astronaut.png'].map((n) => modelInput(n).tensor);
    const r = await universalPerturbation(model, images, { eps: 2, maxPasses: 1, attack: deepFoolAttack({ candidates: 3 }) });
    expect(r.attack).toBe('deepfool');
    expect(r.passes).toBe(1);
    const zero = tf.zerosLike(r.perturbation);
    const { linf } = await perturbationNorms(r.perturbation, zero);
    expect(linf).toBeLessThanOrEqual(2);
    expect(linf).toBeGreaterThan(1.9); // the DeepFool steps add up past ε: the projection was needed
    expect((await foolingRate(model, images, r.perturbation)).foolingRate).toBe(r.foolingRate);
    tf.dispose([r.perturbation, zero]);

    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = universalPerturbation(model, images, { attack: gradientAttack(), signal: controller.signal, onProgress: () => controller.abort() });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
    await expect(universalPerturbation(model, [])).rejects.toThrow(/no training images/);
    await expect(universalPerturbation(model, images, { eps: 0 })).rejects.toThrow(InvalidInputError);
    images.forEach((t) => t.dispose());
  });
});
