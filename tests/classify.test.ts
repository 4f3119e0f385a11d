import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { classify } from '../src/core/classify';
import { modelInput, net } from './helpers';

describe('classification on the real lite model', () => {
  it('recognises coffee.png as espresso (index 967)', async () => {
    const { tensor, crop } = modelInput('coffee.png');
    const top = await classify(await net('lite'), tensor, 3);
    tensor.dispose();
    expect(crop).toEqual({ x: 0, y: 0, width: 600, height: 400 });
    expect(top[0]).toMatchObject({ index: 967, label: 'espresso' });
    expect(top[0]!.probability).toBeGreaterThan(0.9);
    expect(top[0]!.probability).toBeGreaterThan(top[1]!.probability);
  });

  it('matches the reference LayersModel probabilities and leaks no tensors', async () => {
    const model = await net('lite');
    const { tensor } = modelInput('motorcycle_left.png');
    const before = tf.memory().numTensors;
    const ours = await classify(model, tensor, 1000);
    expect(tf.memory().numTensors).toBe(before);
    const ref = model.reference.predict(tensor) as tf.Tensor;
    const refProbs = await ref.data();
    tf.dispose([ref, tensor]);
    for (const p of ours.slice(0, 20)) expect(p.probability).toBeCloseTo(refProbs[p.index]!, 5);
  });
});
