import * as tf from '@tensorflow/tfjs';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evenlySpaced, galleryStratum } from '../src/core/gallery/gallery';
import { argMax, perturbationNorms, probabilities } from '../src/core/optimize/pixels';
import { DEFAULT_LIVE_SETTINGS, LivePipeline } from '../src/core/live/pipeline';
import { foolingRate, uapFromFile, uapToFile } from '../src/core/optimize/uap';
import { augmentViews, batchedFoolingRate, heldOutSplit, heldOutUniversalPerturbation, randomSignPerturbation, stochasticUniversalPerturbation } from '../src/core/optimize/uap-sgd';
import { createRng } from '../src/core/optimize/random';
import { imageToModelInput, modelInputToImage } from '../src/core/preprocess';
import { UAP_HELD_OUT_SHARE } from '../src/core/optimize/defaults';
import { appGalleryEntries } from '../src/node/gallery-files';
import { ROOT, net, readPixelsSync } from './helpers';

/** Photos of the default gallery (public/gallery/photos), as model inputs, picked evenly through the set. */
const PHOTO_DIR = join(ROOT, 'public', 'gallery', 'photos');
const photos = readdirSync(PHOTO_DIR).filter((n) => n.endsWith('.jpg')).sort();
const inputOf = (name: string) => imageToModelInput(readPixelsSync(join(PHOTO_DIR, name))).tensor;

describe('universal perturbation: held-out split, augmentation, stochastic method (lite model)', () => {
  it('heldOutSplit: deterministic, disjoint, complete, stratified; a stratum of one stays in training', () => {
    const names = photos.map((n) => `photos/${n}`);
    const a = heldOutSplit(names.length, { share: 0.3, seed: 7, stratum: (i) => galleryStratum(names[i]!) });
    const b = heldOutSplit(names.length, { share: 0.3, seed: 7, stratum: (i) => galleryStratum(names[i]!) });
    const c = heldOutSplit(names.length, { share: 0.3, seed: 8, stratum: (i) => galleryStratum(names[i]!) });
    expect(a).toEqual(b);
    expect(c.heldOut).not.toEqual(a.heldOut);
    expect([...a.train, ...a.heldOut].sort((x, y) => x - y)).toEqual(names.map((_, i) => i));
    expect(a.train.filter((i) => a.heldOut.includes(i))).toEqual([]);
    // Per stratum: round(0.3 n) held out, at least one, never all (hand-computed for the sources of the set).
    const strata = new Map<string, number[]>();
    names.forEach((n, i) => strata.set(galleryStratum(n), [...(strata.get(galleryStratum(n)) ?? []), i]));
    for (const [key, members] of strata) {
      const held = members.filter((i) => a.heldOut.includes(i)).length;
      const want = members.length < 2 ? 0 : Math.min(members.length - 1, Math.max(1, Math.round(0.3 * members.length)));
      expect(held, key).toBe(want);
    }
    expect(galleryStratum('photos/kodak-hats-03.jpg')).toBe('kodak');
    expect(galleryStratum('photos/grocery-granny-smith-2.jpg')).toBe('grocery-granny-smith');
    expect(galleryStratum('coffee.png')).toBe('sample');
    expect(() => heldOutSplit(3, { share: 1 })).toThrow(/held-out share/);
  });

  it('augmentViews: a full box is the picture, a flipped full box its mirror image, a crop is resampled', () => {
    const x = tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const same = augmentViews(x, [1], createRng(0), { minScale: 1, maxScale: 1, maxAspect: 1, flip: 0 });
    const flipped = augmentViews(x, [0], createRng(0), { minScale: 1, maxScale: 1, maxAspect: 1, flip: 1 });
    const crop = augmentViews(x, [0, 1, 0], createRng(0), { minScale: 0.5, maxScale: 0.5, maxAspect: 1, flip: 0 });
    const diff = (a: tf.Tensor, b: () => tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b()))).dataSync()[0]!);
    expect(diff(same, () => tf.slice(x, [1], [1]))).toBeLessThan(1e-5);
    expect(diff(flipped, () => tf.reverse(tf.slice(x, [0], [1]), 2))).toBeLessThan(1e-5);
    expect(crop.shape).toEqual([3, 224, 224, 3]);
    // A 2× enlargement of a 112-pixel crop: neighbouring output pixels are interpolated, so they vary less than the noise.
    const roughness = (t: () => tf.Tensor) => tf.tidy(() => {
      const u = t();
      return tf.mean(tf.abs(tf.sub(tf.slice(u, [0, 0, 1], [1, 224, 223]), tf.slice(u, [0, 0, 0], [1, 224, 223])))).dataSync()[0]!;
    });
    expect(roughness(() => crop)).toBeLessThan(0.7 * roughness(() => tf.slice(x, [0], [1])));
    tf.dispose([same, flipped, crop]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('trained on 10 photos, it fools held-out photos more often than a random ±ε sign pattern (rates counted one picture at a time)', { timeout: 300_000 }, async () => {
    const model = await net('lite');
    const picked = evenlySpaced(photos, 20);
    const train = picked.filter((_, i) => i % 2 === 0).map(inputOf);
    const held = picked.filter((_, i) => i % 2 === 1).map(inputOf);
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const r = await stochasticUniversalPerturbation(model, train, { eps: 10, steps: 12, batchSize: 4, seed: 1, onProgress: (p) => steps.push(p.step) });
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(r).toMatchObject({ steps: 12, views: 48, images: 10, eps: 10, attack: 'sgd' });
    const zero = tf.zerosLike(r.perturbation);
    const { linf } = await perturbationNorms(r.perturbation, zero);
    expect(linf).toBeLessThanOrEqual(10);
    expect(linf).toBeGreaterThan(9);
    const noise = randomSignPerturbation(224, 10, 1);
    // uap.ts foolingRate: one picture at a time, independent of the batched count the method's reports use.
    const trained = await foolingRate(model, held, r.perturbation);
    const random = await foolingRate(model, held, noise);
    console.log(`held-out fooling rate: trained ${trained.foolingRate}, random sign ${random.foolingRate}`);
    expect(trained.foolingRate).toBeGreaterThan(random.foolingRate + 0.15);
    expect(await batchedFoolingRate(model, held, r.perturbation, 3)).toBeCloseTo(trained.foolingRate, 10);
    tf.dispose([zero, noise]);
    // The int8 file: whole levels within ε, read back exactly.
    const file = await uapToFile({ ...r, foolingRate: 0, passes: 1 }, { model: 'lite', quantize: true });
    expect(file.encoding).toBe('int8-base64');
    expect(file.data.length).toBeLessThan(224 * 224 * 3 * 1.4);
    const back = uapFromFile(JSON.parse(JSON.stringify(file)) as unknown).perturbation;
    const rounded = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.mul(back, 127.5), tf.round(tf.mul(r.perturbation, 127.5))))).dataSync()[0]!);
    expect(rounded).toBeLessThan(1e-3);
    tf.dispose([back, r.perturbation]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...train, ...held]);
  });

  it('heldOutUniversalPerturbation reports both rates over its own split; bad input is one clear error', { timeout: 300_000 }, async () => {
    const model = await net('lite');
    const picked = evenlySpaced(photos, 6);
    const pictures = picked.map((name) => ({ name: `photos/${name}`, input: inputOf(name) }));
    const r = await heldOutUniversalPerturbation(model, pictures, { steps: 2, batchSize: 2, heldOutShare: 0.5 });
    expect(r.train.length + r.heldOut.length).toBe(6);
    expect(r.heldOut.length).toBe(3);
    const byName = new Map(pictures.map((p) => [p.name, p.input]));
    expect(r.foolingRate).toBe((await foolingRate(model, r.train.map((n) => byName.get(n)!), r.perturbation)).foolingRate);
    expect(r.heldOutRate).toBe((await foolingRate(model, r.heldOut.map((n) => byName.get(n)!), r.perturbation)).foolingRate);
    r.perturbation.dispose();
    await expect(stochasticUniversalPerturbation(model, [], {})).rejects.toThrow(/no training images/);
    await expect(stochasticUniversalPerturbation(model, [pictures[0]!.input], { steps: 0 })).rejects.toThrow(/steps must be a positive integer/);
    tf.dispose(pictures.map((p) => p.input));
  });

  it.each(['lite', 'standard'] as const)('the shipped %s perturbation (public/gallery/uap-MODEL.json) does what its file says on the held-out pictures', { timeout: 300_000 }, async (id) => {
    const model = await net(id);
    const shipped = JSON.parse(readFileSync(join(ROOT, 'public', 'gallery', `uap-${id}.json`), 'utf8')) as unknown;
    const { perturbation, file } = uapFromFile(shipped);
    expect(file).toMatchObject({ model: id, eps: 10, encoding: 'int8-base64', attack: 'sgd' });
    const zero = tf.zerosLike(perturbation);
    expect((await perturbationNorms(perturbation, zero)).linf).toBeLessThanOrEqual(10 + 1e-4);
    zero.dispose();
    // The same split as scripts/gallery-uap.ts, recounted one picture at a time.
    const entries = await appGalleryEntries();
    const split = heldOutSplit(entries.length, { share: UAP_HELD_OUT_SHARE, seed: 0, stratum: (i) => galleryStratum(entries[i]!.name) });
    expect(split.heldOut).toHaveLength(file.heldOutImages!);
    expect(split.train).toHaveLength(file.images);
    const held = await Promise.all(split.heldOut.map(async (i) => imageToModelInput(await entries[i]!.decode(), 'stretch').tensor));
    const rate = await foolingRate(model, held, perturbation);
    expect(rate.foolingRate).toBeCloseTo(file.heldOutRate!, 10);
    expect(rate.foolingRate).toBeGreaterThanOrEqual(0.6);
    tf.dispose([...held, perturbation]);
  });

  it('a live frame with the perturbation carries the perturbed picture the network saw and the top class before → after', { timeout: 120_000 }, async () => {
    const model = await net('lite');
    const rgba = readPixelsSync(join(ROOT, 'public', 'gallery', 'coffee.png'));
    const pixels = tf.tensor3d(Uint8Array.from({ length: rgba.width * rgba.height * 3 }, (_, i) => rgba.data[Math.floor(i / 3) * 4 + (i % 3)]!), [rgba.height, rgba.width, 3], 'int32');
    const v = randomSignPerturbation(224, 10, 2);
    const before = tf.memory().numTensors;
    const frame = await new LivePipeline(model).process(pixels, { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch', view: 'activations' }, v);
    expect(tf.memory().numTensors).toBe(before);
    // Independently: the stretched model input + v, clipped, as pixels; and the clean and perturbed predictions.
    const x = imageToModelInput(rgba, 'stretch').tensor;
    const adv = tf.tidy(() => tf.clipByValue(tf.add(x, v), -1, 1) as tf.Tensor4D);
    const expected = await modelInputToImage(adv);
    const p = frame.perturbed!;
    let maxDiff = 0;
    for (let i = 0; i < expected.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(expected.data[i]! - p.picture.data[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1);
    const [clean] = await probabilities(model, x);
    const [perturbed] = await probabilities(model, adv);
    expect(p.before.index).toBe(argMax(clean!));
    expect(p.before.probability).toBeCloseTo(clean![p.before.index]!, 4);
    expect(p.beforeAfter).toBeCloseTo(perturbed![p.before.index]!, 4);
    expect(p.after).toEqual(frame.top5[0]);
    expect(frame.top5[0]!.index).toBe(argMax(perturbed!));
    const plain = await new LivePipeline(model).process(pixels, { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch', view: 'activations' });
    expect(plain.perturbed).toBeUndefined();
    tf.dispose([x, adv, v, pixels]);
  });
});
