import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnknownLayerError } from '../src/core/errors';
import { disposeTaps } from '../src/core/network';
import { modelInput, net } from './helpers';
import { relL2 as relativeL2 } from './metrics';

/** Relative L2 distance ‖a − b‖ / ‖b‖. */
function relL2(a: tf.Tensor, b: tf.Tensor): number {
  return relativeL2(a.dataSync(), b.dataSync());
}

describe('model adapter (folded batch norm, taps) against the reference LayersModel', () => {
  it('lists every Keras layer with its output shape', async () => {
    const model = await net('lite');
    expect(model.layers[0]).toEqual({ name: 'input_1', className: 'InputLayer', outputShape: [224, 224, 3] });
    expect(model.layer('conv_pw_13_relu').outputShape).toEqual([7, 7, 256]);
    expect(model.layer('conv_dw_2').outputShape).toEqual([56, 56, 16]); // 64 × width 0.25
    expect(model.logitsLayer).toBe('conv_preds');
    expect(model.featuresLayer).toBe('global_average_pooling2d_1');
    expect(() => model.layer('conv_pw_99')).toThrow(UnknownLayerError);
  });

  it('gives the same logits, activations and features as the LayersModel in one pass', async () => {
    const model = await net('lite');
    const { tensor } = modelInput('chelsea.png');
    const names = ['conv1_bn', 'conv_dw_3', 'conv_pw_7_relu', 'conv_preds', 'global_average_pooling2d_1'];
    const reference = tf.model({ inputs: model.reference.inputs, outputs: names.map((n) => model.reference.getLayer(n).output as tf.SymbolicTensor) });
    const expected = reference.predict(tensor) as tf.Tensor[];
    const taps = model.run(tensor, { layers: names.slice(0, 3), logits: true, features: true, probabilities: true });
    for (let i = 0; i < 3; i++) expect(relL2(taps.activations[names[i]!]!, expected[i]!)).toBeLessThan(1e-5);
    const refLogits = expected[3]!.reshape([1, 1000]);
    const maxRel = tf.tidy(() => tf.max(tf.abs(tf.sub(taps.logits!, refLogits))).dataSync()[0]! / tf.max(tf.abs(refLogits)).dataSync()[0]!);
    expect(maxRel).toBeLessThan(1e-5);
    expect(relL2(taps.features!, expected[4]!)).toBeLessThan(1e-5);
    const refProbs = model.reference.predict(tensor) as tf.Tensor;
    expect(relL2(taps.probabilities!, refProbs)).toBeLessThan(1e-5);
    disposeTaps(taps);
    tf.dispose([...expected, refLogits, refProbs, tensor]);
  });

  it('input gradient of a logit matches the LayersModel gradient (relative L2 ≤ 1e-2)', async () => {
    const model = await net('lite');
    const { tensor } = modelInput('coffee.png');
    const logitsModel = tf.model({ inputs: model.reference.inputs, outputs: model.reference.getLayer('conv_preds').output as tf.SymbolicTensor });
    const objective = (logits: tf.Tensor): tf.Scalar => tf.sum(tf.slice(tf.reshape(logits, [-1, 1000]), [0, 967], [1, 1]));
    const reference = tf.grad((x: tf.Tensor) => objective(logitsModel.apply(x) as tf.Tensor))(tensor);
    const ours = model.gradient(tensor, { logits: true }, (t) => objective(t.logits!));
    expect(relL2(ours.gradient, reference)).toBeLessThan(1e-2);
    // The taps of the same pass are real outputs: the value is the espresso logit.
    expect(ours.value.dataSync()[0]).toBeCloseTo(ours.taps.logits!.dataSync()[967]!, 5);
    disposeTaps(ours.taps);
    tf.dispose([reference, ours.gradient, ours.value, tensor]);
  });

  it('runs from an intermediate layer onwards and gives the same logits', async () => {
    const model = await net('lite');
    const { tensor } = modelInput('coffee.png');
    const whole = model.run(tensor, { layers: ['conv_pw_11_relu'], logits: true });
    const rest = model.runFrom('conv_pw_11_relu', whole.activations['conv_pw_11_relu'] as tf.Tensor4D, { logits: true });
    expect(relL2(rest.logits!, whole.logits!)).toBeLessThan(1e-6);
    expect(() => model.runFrom('conv_pw_11_bn', whole.activations['conv_pw_11_relu'] as tf.Tensor4D, { logits: true })).toThrow(InvalidInputError);
    disposeTaps(whole);
    disposeTaps(rest);
    tensor.dispose();
  });

  it('rejects inputs of the wrong shape and unknown tap names with clear errors', async () => {
    const model = await net('lite');
    const wrong = tf.zeros([1, 100, 100, 3]) as tf.Tensor4D;
    expect(() => model.run(wrong, { logits: true })).toThrow(/expected a batch of shape \[N, 224, 224, 3\], got \[1, 100, 100, 3\]/);
    wrong.dispose();
    const ok = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
    expect(() => model.run(ok, { layers: ['nope'] })).toThrow(/unknown layer 'nope'/);
    ok.dispose();
  });

  it('leaves no tensors behind across many passes and gradients', async () => {
    const model = await net('lite');
    const { tensor } = modelInput('rocket.jpg');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      disposeTaps(model.run(tensor, { layers: ['conv_pw_3_relu'], logits: true, features: true }));
      const g = model.gradient(tensor, { layers: ['conv_pw_3_relu'], logits: true }, (t) => tf.sum(t.logits!));
      disposeTaps(g.taps);
      tf.dispose([g.gradient, g.value]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tensor.dispose();
  });
});

describe('gradient probes', () => {
  it('give the gradient at an intermediate layer in the same pass as the input gradient', async () => {
    const model = await net('lite');
    const { tensor } = modelInput('coffee.png');
    const objective = (t: { logits?: tf.Tensor2D }): tf.Scalar => tf.sum(tf.slice(t.logits!, [0, 967], [1, 1]));
    const both = model.gradient(tensor, { layers: ['conv_pw_13_relu'], logits: true }, objective, { probes: ['conv_pw_13_relu'] });
    const inputOnly = model.gradient(tensor, { logits: true }, objective);
    expect(relL2(both.gradient, inputOnly.gradient)).toBeLessThan(1e-6);
    // Reference: differentiate the rest of the network from that layer's activation.
    const activation = both.taps.activations['conv_pw_13_relu'] as tf.Tensor4D;
    const fromLayer = model.gradient(activation, { logits: true }, objective, { from: 'conv_pw_13_relu' });
    expect(relL2(both.probeGradients['conv_pw_13_relu']!, fromLayer.gradient)).toBeLessThan(1e-5);
    expect(() => model.gradient(tensor, { logits: true }, objective, { probes: ['conv_pw_13'] })).toThrow(/use the block output 'conv_pw_13_relu'/);
    for (const r of [both, inputOnly, fromLayer]) {
      disposeTaps(r.taps);
      tf.dispose([r.gradient, r.value, ...Object.values(r.probeGradients)]);
    }
    tensor.dispose();
  });
});
