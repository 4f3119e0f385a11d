/**
 * Forward-only passes on a WASM twin (issue 13, goal 5): ConvNet.useForwardTwin runs run()/runFrom() on a copy of
 * the model living on the WASM backend (XNNPACK; SIMD here in Node, no threads) while gradient() stays on the CPU
 * backend. Checked against the same model without a twin on the CPU backend: every tap, an occlusion map and the
 * gallery features equal within float32 rounding of two convolution implementations; the gradient is unchanged; the
 * active backend is CPU again after every call; nothing leaks on either backend.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onBackend } from '../src/core/backend-switch';
import { occlusion } from '../src/core/attribution/occlusion';
import { FeatureExtractor } from '../src/core/gallery/features';
import type { ConvNet } from '../src/core/network';
import { loadModel } from '../src/node/model-files';
import { DEFAULT_LIVE_SETTINGS } from '../src/core/live/pipeline';
import type { WorkerRequest, WorkerResponse } from '../workers/protocol';
import { modelInput, sharedImage } from './helpers';
import { workerHarness } from './worker-harness';
import { maxAbsDiff, relL2 } from './metrics';

let plain: ConvNet; // the lite model, no twin: the reference
let twinned: ConvNet; // the lite model on CPU with a WASM twin
const backendOf = (t: tf.Tensor): string | undefined => {
  const info = (tf.engine().state as unknown as { tensorInfo: WeakMap<object, { backend: tf.KernelBackend }> }).tensorInfo.get(t.dataId);
  return info?.backend === tf.findBackend('wasm') ? 'wasm' : info?.backend === tf.findBackend('cpu') ? 'cpu' : undefined;
};

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  const twin = await loadModel('lite');
  expect(await tf.setBackend('cpu')).toBe(true);
  plain = await loadModel('lite');
  twinned = await loadModel('lite');
  twinned.useForwardTwin(twin, 'wasm');
}, 120_000);

afterAll(() => {
  plain.dispose();
  twinned.dispose();
});

describe('onBackend', () => {
  it('switches for the call only, also when the call throws, and refuses an uninitialised backend', () => {
    expect(onBackend('wasm', () => tf.getBackend())).toBe('wasm');
    expect(tf.getBackend()).toBe('cpu');
    expect(() => onBackend('wasm', () => { throw new Error('inside'); })).toThrow('inside');
    expect(tf.getBackend()).toBe('cpu');
    expect(() => onBackend('webgpu', () => 1)).toThrow(/not initialised|not found/);
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('a WASM forward twin', () => {
  it('gives the same taps as the CPU backend, on WASM, and leaves CPU active', () => {
    const { tensor } = modelInput('chelsea.png');
    const request = { layers: ['conv_pw_5_relu', 'conv_pw_13_relu'], logits: true, probabilities: true, features: true };
    const a = plain.run(tensor, request);
    const b = twinned.run(tensor, request);
    expect(tf.getBackend()).toBe('cpu');
    expect(backendOf(b.logits!)).toBe('wasm');
    expect(backendOf(a.logits!)).toBe('cpu');
    // Two float32 convolution implementations (tfjs CPU's loops vs XNNPACK): the same values to rounding.
    expect(relL2(b.logits!.dataSync(), a.logits!.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(b.probabilities!.dataSync(), a.probabilities!.dataSync())).toBeLessThan(1e-5);
    for (const layer of request.layers) expect(relL2(b.activations[layer]!.dataSync(), a.activations[layer]!.dataSync()), layer).toBeLessThan(1e-5);
    expect(relL2(b.features!.dataSync(), a.features!.dataSync())).toBeLessThan(1e-5);
    // And the class: tabby (281) for the shared cat photo on both.
    expect(tf.argMax(b.logits!.reshape([-1])).dataSync()[0]).toBe(tf.argMax(a.logits!.reshape([-1])).dataSync()[0]);
    tf.dispose([a, b].flatMap((t) => [t.logits!, t.probabilities!, t.features!, ...Object.values(t.activations)]));
    tensor.dispose();
  });

  it('runs runFrom on the twin too', () => {
    const { tensor } = modelInput('rocket.jpg');
    const mid = plain.run(tensor, { layers: ['conv_pw_7_relu'] }).activations['conv_pw_7_relu'] as tf.Tensor4D;
    const a = plain.runFrom('conv_pw_7_relu', mid, { logits: true });
    const b = twinned.runFrom('conv_pw_7_relu', mid, { logits: true });
    expect(backendOf(b.logits!)).toBe('wasm');
    expect(relL2(b.logits!.dataSync(), a.logits!.dataSync())).toBeLessThan(1e-5);
    tf.dispose([tensor, mid, a.logits!, b.logits!]);
  });

  it('keeps gradients on the CPU backend, equal to the plain network', () => {
    const { tensor } = modelInput('coffee.png');
    const objective = (t: { logits?: tf.Tensor }): tf.Scalar => tf.sum(tf.slice(t.logits!.reshape([-1]), [967], [1])) as tf.Scalar;
    const a = plain.gradient(tensor, { logits: true }, objective);
    const b = twinned.gradient(tensor, { logits: true }, objective);
    expect(backendOf(b.gradient)).toBe('cpu');
    expect(maxAbsDiff(b.gradient.dataSync(), a.gradient.dataSync())).toBe(0);
    tf.dispose([tensor, a.gradient, a.value, a.taps.logits!, b.gradient, b.value, b.taps.logits!]);
  });

  it('gives the same occlusion map (a forward-only attribution) and disposes everything', async () => {
    const input = modelInput('astronaut.png');
    const before = tf.memory().numTensors;
    const options = { target: 'top' as const, patch: 56, stride: 56, batchSize: 8 };
    const a = await occlusion(plain, input, options);
    const b = await occlusion(twinned, input, options);
    expect(tf.getBackend()).toBe('cpu');
    expect(b.target).toEqual(a.target);
    expect(relL2(b.data, a.data)).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
    input.tensor.dispose();
  }, 120_000);

  it('gives the same gallery features', async () => {
    const names = ['camera.png', 'clock_motion.png', 'motorcycle_left.png'];
    const features = async (n: ConvNet): Promise<Float32Array[]> => {
      const extractor = new FeatureExtractor(n);
      const set = await extractor.features(names.map((name) => ({ id: name, name, decode: () => sharedImage(name), transient: true })));
      expect(set.vectors).toHaveLength(names.length);
      return set.vectors;
    };
    const [a, b] = [await features(plain), await features(twinned)];
    a.forEach((v, i) => expect(relL2(b[i]!, v), names[i]).toBeLessThan(1e-5));
  }, 120_000);

  it('refuses a twin that is another model or itself, and is disposed with its network', async () => {
    expect(() => twinned.useForwardTwin(twinned, 'wasm')).toThrow(/own forward twin/);
    await tf.setBackend('wasm');
    const standard = await loadModel('standard');
    const lite = await loadModel('lite');
    await tf.setBackend('cpu');
    const host = await loadModel('lite');
    expect(() => host.useForwardTwin(standard, 'wasm')).toThrow(/different model/);
    standard.dispose();
    const before = tf.memory().numTensors;
    host.useForwardTwin(lite, 'wasm');
    expect(host.forwardBackend).toBe('wasm');
    const liteTensors = tf.memory().numTensors;
    host.dispose();
    expect(tf.memory().numTensors).toBeLessThan(liteTensors);
    expect(tf.memory().numTensors).toBeLessThan(before);
  }, 120_000);
});

describe('the inference worker on the CPU backend with a WASM twin (handler run in Node)', () => {
  const twinEnv = {
    loadForwardTwin: async (model: 'lite' | 'standard') => {
      const previous = tf.getBackend();
      await tf.setBackend('wasm');
      try {
        return { net: await loadModel(model), engine: { backend: 'wasm' as const, simd: true, threads: 1, isolated: false } };
      } finally {
        await tf.setBackend(previous);
      }
    },
  };
  const activationsFrame = (id: number): WorkerRequest => ({ type: 'frame', id, image: sharedImage('coffee.png'), settings: { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch', view: 'activations' } });

  it('says where forward passes run, gives the same activations frame, and `wasm: false` keeps them on CPU', async () => {
    const answers: Extract<WorkerResponse, { type: 'frame' }>[] = [];
    for (const wasm of [true, false]) {
      const h = workerHarness(twinEnv);
      await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused', backend: 'cpu', ...(wasm ? {} : { wasm: false }) });
      const ready = await h.waitFor((r) => r.id === 1);
      expect(ready.type).toBe('ready');
      if (ready.type !== 'ready') return;
      if (wasm) expect(ready.forward).toEqual({ backend: 'wasm', simd: true, threads: 1, isolated: false });
      else expect(ready.forward).toBeUndefined();
      await h.handle(activationsFrame(2));
      const answer = await h.waitFor((r) => r.id === 2);
      expect(answer.type).toBe('frame');
      if (answer.type === 'frame') answers.push(answer);
      expect(tf.getBackend()).toBe('cpu');
      // A gradient view still works (on CPU) beside the twin.
      await h.handle({ ...activationsFrame(3), settings: { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch', view: 'saliency' } } as WorkerRequest);
      expect((await h.waitFor((r) => r.id === 3)).type).toBe('frame');
    }
    const [twin, cpu] = answers;
    expect(twin!.frame.top5.map((p) => p.index)).toEqual(cpu!.frame.top5.map((p) => p.index));
    expect(twin!.frame.top5[0]!.label).toBe('espresso');
    expect(relL2(twin!.frame.activations!.data, cpu!.frame.activations!.data)).toBeLessThan(1e-5);
  }, 180_000);
});
