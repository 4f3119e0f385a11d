import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gradCam } from '../src/core/attribution';
import { AbortError } from '../src/core/cancel';
import { classify } from '../src/core/classify';
import { InvalidInputError } from '../src/core/errors';
import { disposeTaps } from '../src/core/network';
import { imageCropToModelInput, type RgbaImage } from '../src/core/preprocess';
import { featuresOf, teach } from '../src/core/teach';
import { readImage } from '../src/node/image-io';
import { net, ROOT } from './helpers';
import { heldUpCrops } from './picture-fixtures';
import { relL2 } from './metrics';

/**
 * Teach mode's core (issue 12): a head trained on the lite network's features of two grocery varieties learns them
 * from two photos each (crops and mirror images, as a visitor holding an object up to the camera gives), and
 * classifies the third, held-back photo of each variety (its crops) right; the taught network is a ConvNet whose
 * logits are the new classes, so the explanation methods run on it.
 */

const PHOTOS = join(ROOT, 'public', 'gallery', 'photos');
const CLASSES = ['banana', 'red-delicious'] as const;

/** Five crops (whole, four 80 % corners) of a picture, each also mirrored: 10 model inputs [10, 224, 224, 3]. */
function views(image: RgbaImage): tf.Tensor4D {
  const crops = heldUpCrops(image.width, image.height);
  return tf.tidy(() => {
    const inputs = crops.map((c) => imageCropToModelInput(image, c).tensor);
    const batch = tf.concat(inputs);
    return tf.concat([batch, tf.reverse(batch, 2)]) as tf.Tensor4D;
  });
}

describe('Teach mode: a head trained on the network features of two varieties', () => {
  const made: tf.Tensor[] = [];
  afterAll(() => tf.dispose(made));

  it('learns them from two photos each and classifies the held-back photos; the taught network explains itself', async () => {
    const base = await net('lite');
    const before = tf.memory().numTensors;
    const train: tf.Tensor4D[] = [];
    const test: tf.Tensor4D[] = [];
    const trainLabels: number[] = [];
    const testLabels: number[] = [];
    for (const [c, name] of CLASSES.entries()) {
      for (const n of [1, 2, 3]) {
        const v = views(await readImage(join(PHOTOS, `grocery-${name}-${n}.jpg`)));
        (n === 3 ? test : train).push(v);
        (n === 3 ? testLabels : trainLabels).push(...Array<number>(v.shape[0]).fill(c));
      }
    }
    const trainInputs = tf.concat(train);
    const testInputs = tf.concat(test);
    tf.dispose([...train, ...test]);
    const progress: number[] = [];
    const taught = await teach(base, trainInputs, trainLabels, CLASSES, { onProgress: (epoch, _n, loss) => progress.push(loss) });
    console.log(`teach: ${trainLabels.length} examples, ${taught.ms.toFixed(0)} ms, loss ${progress[0]!.toFixed(3)} → ${taught.loss.toFixed(3)}, train accuracy ${taught.trainAccuracy}`);
    expect(progress).toHaveLength(40);
    expect(taught.loss).toBeLessThan(progress[0]! / 2);
    expect(taught.trainAccuracy).toBe(1);
    expect(taught.counts).toEqual([20, 20]);

    // Held-back photos: every view of the third photo of each variety.
    const t = taught.net;
    expect([t.numClasses, t.labels, t.logitsLayer, t.featuresLayer]).toEqual([2, [...CLASSES], 'head_2', base.featuresLayer]);
    const taps = t.run(testInputs, { logits: true, probabilities: true, features: true });
    const argmax = tf.argMax(taps.logits!, 1);
    const predicted = Array.from(argmax.dataSync());
    argmax.dispose();
    const accuracy = predicted.filter((p, i) => p === testLabels[i]).length / testLabels.length;
    console.log(`teach: held-back accuracy ${accuracy} (${testLabels.length} views of 2 unseen photos)`);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);

    // The head sits on the base network's own features: the same vector as the base network gives.
    const baseFeatures = featuresOf(base, testInputs);
    expect(relL2(taps.features!.dataSync(), baseFeatures.dataSync())).toBeLessThan(1e-6);
    disposeTaps(taps);
    baseFeatures.dispose();

    // Every view explains the taught classifier: Grad-CAM of the top class, labelled with the visitor's name.
    const one = tf.slice(testInputs, [0, 0, 0, 0], [1, 224, 224, 3]) as tf.Tensor4D;
    const top = await classify(t, one, 2);
    expect(top[0]!.label).toBe('banana');
    const cam = await gradCam(t, { tensor: one, crop: { x: 0, y: 0, width: 224, height: 224 } }, { target: 'top' });
    expect(cam.target).toEqual({ kind: 'class', index: 0 });
    expect(Math.max(...cam.data)).toBeGreaterThan(0);
    tf.dispose([one, trainInputs, testInputs]);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);

  it('withHead: the new logits are the head applied to the base features (hand-computed), shapes checked', async () => {
    const base = await net('lite');
    const w1 = tf.randomNormal([256, 5], 0, 0.1, 'float32', 1) as tf.Tensor2D;
    const b1 = tf.randomNormal([5], 0, 0.1, 'float32', 2) as tf.Tensor1D;
    const w2 = tf.randomNormal([5, 3], 0, 0.5, 'float32', 3) as tf.Tensor2D;
    const b2 = tf.randomNormal([3], 0, 0.5, 'float32', 4) as tf.Tensor1D;
    made.push(w1, b1, w2, b2);
    const headed = base.withHead([{ kernel: w1, bias: b1, activation: 'relu' }, { kernel: w2, bias: b2, activation: 'linear' }], ['x', 'y', 'z']);
    const input = tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    made.push(input);
    const taps = headed.run(input, { logits: true, features: true });
    const expected = tf.tidy(() => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(taps.features!, w1), b1)), w2), b2));
    expect(relL2(taps.logits!.dataSync(), expected.dataSync())).toBeLessThan(1e-6);
    disposeTaps(taps);
    expected.dispose();
    headed.dispose();
    expect(() => base.withHead([{ kernel: w2, bias: b2, activation: 'linear' }], ['x', 'y', 'z'])).toThrow(/expected a kernel \[256, units\]/);
    expect(() => base.withHead([{ kernel: w1, bias: b1, activation: 'relu' }], ['a', 'b', 'c', 'd', 'e'])).toThrow(/must be linear/);
    expect(() => base.withHead([{ kernel: w1, bias: b1, activation: 'linear' }], ['a'])).toThrow(/1 labels for a head with 5 outputs/);
  });

  it('refuses one class, a class without examples and bad labels in one line, and cancels between epochs', async () => {
    const base = await net('lite');
    const inputs = tf.zeros([2, 224, 224, 3]) as tf.Tensor4D;
    made.push(inputs);
    await expect(teach(base, inputs, [0, 0], ['only'])).rejects.toThrow(/at least 2 classes/);
    await expect(teach(base, inputs, [0, 0], ['a', 'b'])).rejects.toThrow(/class 'b' has no examples/);
    await expect(teach(base, inputs, [0, 2], ['a', 'b'])).rejects.toThrow(InvalidInputError);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = teach(base, inputs, [0, 1], ['a', 'b'], { signal: controller.signal, onProgress: (epoch) => epoch === 2 && controller.abort() });
    await expect(run).rejects.toThrow(AbortError);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
