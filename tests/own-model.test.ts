import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, ModelLoadError } from '../src/core/errors';
import { type DroppedFile, checkModelFiles, isOwnModelName, ownModelName, ownModelRecord } from '../src/core/own-model';
import { compileOwnModel, loadOwnModel } from '../src/core/own-model-compile';
import { residualModel, tmShapedModel } from './model-fixtures';
import { DEFAULT_LIVE_SETTINGS } from '../src/core/live/settings';
import { imageToModelInput } from '../src/core/preprocess';
import type { WorkerResponse } from '../workers/protocol';
import { sharedImage } from './helpers';
import { workerHarness } from './worker-harness';

/**
 * Issue 12, the app side: the files of "Use your own model" checked before anything is stored (src/core/own-model.ts),
 * then compiled as the inference worker compiles them. Each bad input gets one line naming the file.
 */

/** The files a converter or Teachable Machine writes for `model`: model.json and weights.bin (as DroppedFiles). */
async function exportFiles(model: tf.LayersModel): Promise<DroppedFile[]> {
  let files: DroppedFile[] = [];
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const json = { format: 'layers-model', generatedBy: 'convlens tests', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] };
      files = [
        { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(json)) },
        { name: 'weights.bin', bytes: new Uint8Array(a.weightData as ArrayBuffer) },
      ];
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return files;
}

const text = (name: string, value: string): DroppedFile => ({ name, bytes: new TextEncoder().encode(value) });
const metadata = text('metadata.json', JSON.stringify({ tfjsVersion: '1.3.1', tmVersion: '2.4.5', modelName: 'My Fruit Model', labels: ['apple', 'pear', 'plum'], imageSize: 32 }));

/** Runs `f` and returns the one-line message it throws (fails when it throws nothing or a multi-line message). */
async function failure(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (err) {
    expect((err as Error).message).not.toContain('\n');
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('your own model: the checks before storing', () => {
  let model: tf.LayersModel;
  let files: DroppedFile[];
  /** Tensors tf.loadLayersModel + dispose() leave behind for this nested model (TensorFlow.js 4.22: 2). */
  let nestedLeak = 0;
  beforeAll(async () => {
    model = tmShapedModel();
    files = await exportFiles(model);
    const { modelTopology, weightData, weightSpecs } = checkModelFiles(files);
    const before = tf.memory().numTensors;
    (await tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightData, weightSpecs }))).dispose();
    nestedLeak = tf.memory().numTensors - before;
  });
  afterAll(() => model.dispose());

  it('accepts a Teachable Machine export (model.json, weights.bin, metadata.json): labels, name, same probabilities', async () => {
    const upload = checkModelFiles([...files, metadata]);
    expect(upload.name).toBe('my-fruit-model');
    expect(upload.labels).toEqual(['apple', 'pear', 'plum']);
    expect(upload.weightData.byteLength).toBe(files[1]!.bytes.byteLength);
    const before = tf.memory().numTensors;
    const { net, info } = await compileOwnModel(upload, 1000);
    expect(info).toMatchObject({ name: 'my-fruit-model', numClasses: 3, inputSize: 32, labels: ['apple', 'pear', 'plum'], input: { range: [-1, 1], channels: 'rgb' }, added: 1000 });
    // The compiled network answers as the model itself does (input in [-1, 1]).
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 5);
    const predicted = model.predict(x) as tf.Tensor;
    const expected = predicted.dataSync();
    predicted.dispose();
    const taps = net.run(x as tf.Tensor4D, { probabilities: true });
    const got = taps.probabilities!.dataSync();
    expect(got).toHaveLength(6);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - expected[i]!)).toBeLessThan(1e-5);
    taps.probabilities!.dispose();
    net.dispose();
    // The stored record rebuilds the same network with its labels.
    const again = await loadOwnModel(ownModelRecord(upload, info));
    expect(again.labels).toEqual(['apple', 'pear', 'plum']);
    const taps2 = again.run(x as tf.Tensor4D, { probabilities: true });
    expect(Array.from(taps2.probabilities!.dataSync())).toEqual(Array.from(got));
    taps2.probabilities!.dispose();
    again.dispose();
    x.dispose();
    // Two loads of a nested Sequential: twice what TensorFlow.js's own load + dispose leaves.
    expect(tf.memory().numTensors - before).toBe(2 * nestedLeak);
  });

  it('names: a slug of the given name or modelName, never a bundled id', () => {
    expect(ownModelName('Tm My Image Model!')).toBe('tm-my-image-model');
    expect(ownModelName('lite')).toBe('lite-own');
    expect(ownModelName('   ')).toBe('my-model');
    expect(isOwnModelName('standard')).toBe(false);
    expect(isOwnModelName('my-fruit-model')).toBe(true);
    expect(isOwnModelName('../x')).toBe(false);
    expect(checkModelFiles(files).name).toBe('my-model');
    expect(checkModelFiles(files, { name: 'Fruit 2' }).name).toBe('fruit-2');
  });

  it('a missing weight file, a wrong size, a model.json that is not JSON, no model.json: one line each', async () => {
    const [json, weights] = files;
    const cases: [DroppedFile[], RegExp][] = [
      [[json!, metadata], /^missing weight file weights\.bin: model\.json names it; drop it together with model\.json$/],
      [[json!, { name: 'weights.bin', bytes: weights!.bytes.subarray(0, weights!.bytes.byteLength - 4) }], new RegExp(`^weights\\.bin: ${weights!.bytes.byteLength - 4} bytes, but model\\.json says ${weights!.bytes.byteLength} `)],
      [[text('model.json', '{"modelTopology": {'), weights!], /^model\.json: not JSON \(/],
      [[text('model.json', '{"format": "graph-model", "modelTopology": {}, "weightsManifest": []}'), weights!], /^model\.json: a TensorFlow\.js graph model; only layers models/],
      [[text('model.json', '{"hello": 1}'), weights!], /^model\.json: not a TensorFlow\.js layers model/],
      [[weights!, metadata], /^no model\.json among weights\.bin, metadata\.json/],
      [[json!, weights!, text('metadata.json', '{"labels": 3}')], /^metadata\.json: the labels file has neither/],
    ];
    for (const [given, message] of cases) {
      const err = await failure(() => checkModelFiles(given));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.message).toMatch(message);
    }
  });

  it('an unsupported layer and labels that do not fit are found when compiling: one line, nothing left allocated', async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const c = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c' }).apply(input) as tf.SymbolicTensor;
    const up = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(c) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({}).apply(up) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor;
    const odd = tf.model({ inputs: input, outputs: out });
    const oddFiles = await exportFiles(odd);
    odd.dispose();
    const before = tf.memory().numTensors;
    const unsupported = await failure(() => compileOwnModel(checkModelFiles(oddFiles)));
    expect(unsupported).toBeInstanceOf(ModelLoadError);
    expect(unsupported.message).toMatch(/^model\.json: unsupported layer class 'UpSampling2D' \(layer 'up'\)/);
    expect(tf.memory().numTensors).toBe(before);
    // Four labels for a three-class model.
    const wrong = await failure(() => compileOwnModel(checkModelFiles([...files, text('metadata.json', '{"labels": ["a", "b", "c", "d"]}')])));
    expect(wrong).toBeInstanceOf(InvalidInputError);
    expect(wrong.message).toBe('metadata.json: 4 labels for a model with 3 outputs');
    // TensorFlow.js itself keeps 2 tensors of a nested Sequential after dispose() (nestedLeak: the same with
    // tf.loadLayersModel alone); nothing more is left.
    expect(tf.memory().numTensors - before).toBe(nestedLeak);
    // A layer class TensorFlow.js itself does not know.
    const json = JSON.parse(new TextDecoder().decode(files[0]!.bytes)) as { modelTopology: { config: { layers: { class_name: string }[] } } };
    json.modelTopology.config.layers[1]!.class_name = 'MagicLayer';
    const unknown = await failure(() => compileOwnModel(checkModelFiles([text('model.json', JSON.stringify(json)), files[1]!])));
    expect(unknown).toBeInstanceOf(ModelLoadError);
    expect(unknown.message).toMatch(/^model\.json: .*MagicLayer/);
    expect(tf.memory().numTensors - before).toBe(nestedLeak);
  });

  it('a residual model converted from Keras, in [0, 1] BGR, compiles with its input range', async () => {
    const residual = residualModel();
    const upload = checkModelFiles(await exportFiles(residual), { input: { range: [0, 1], channels: 'bgr' } });
    const { net, info } = await compileOwnModel(upload);
    expect([info.numClasses, info.inputSize, info.labels[0]]).toEqual([5, 32, 'class 0']);
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
    const raw = tf.tidy(() => tf.reverse(tf.div(tf.add(x, 1), 2), -1));
    const predicted = residual.predict(raw) as tf.Tensor;
    const expected = predicted.dataSync();
    predicted.dispose();
    const taps = net.run(x, { probabilities: true });
    const got = taps.probabilities!.dataSync();
    for (let i = 0; i < 5; i++) expect(Math.abs(got[i]! - expected[i]!)).toBeLessThan(1e-5);
    tf.dispose([x, raw, taps.probabilities!]);
    net.dispose();
    residual.dispose();
  });
});

describe('your own model in the inference worker (Node harness)', () => {
  it('stores a Teachable Machine export, starts with it by name: labels, layers and the top-5 from its metadata.json', async () => {
    const model = tmShapedModel();
    const files = await exportFiles(model);
    const h = workerHarness();
    await h.handle({ type: 'own-model', id: 1, upload: checkModelFiles([...files, metadata]) });
    const stored = h.replies.find((r) => r.id === 1)!;
    expect(stored).toMatchObject({ type: 'own-model-stored', info: { name: 'my-fruit-model', numClasses: 3, inputSize: 32, labels: ['apple', 'pear', 'plum'] } });
    await h.handle({ type: 'init', id: 2, model: 'my-fruit-model', backend: 'cpu', modelsUrl: 'unused' });
    const ready = h.replies.find((r) => r.id === 2) as Extract<WorkerResponse, { type: 'ready' }>;
    expect(ready.type, JSON.stringify(ready)).toBe('ready');
    expect([ready.model, ready.inputSize, ready.labels]).toEqual(['my-fruit-model', 32, ['apple', 'pear', 'plum']]);
    expect(ready.layers.map((l) => l.name)).toEqual(expect.arrayContaining(['conv1_relu', 'conv_dw_1_relu']));
    // A live frame: the top-5 (here all 3 classes) carries the metadata's labels and the model's own probabilities.
    await h.handle({ type: 'frame', id: 3, image: sharedImage('chelsea.png'), settings: { ...DEFAULT_LIVE_SETTINGS, layer: 'conv1_relu', fit: 'stretch' } });
    const frame = (await h.waitFor((r) => r.id === 3)) as Extract<WorkerResponse, { type: 'frame' }>;
    expect(frame.type, JSON.stringify(frame).slice(0, 300)).toBe('frame');
    const input = imageToModelInput(sharedImage('chelsea.png'), 'stretch', 32);
    const predicted = model.predict(input.tensor) as tf.Tensor;
    const expected = Array.from(predicted.dataSync());
    tf.dispose([predicted, input.tensor]);
    expect(frame.frame.top5.map((p) => p.label).sort()).toEqual(['apple', 'pear', 'plum']);
    for (const p of frame.frame.top5) expect(Math.abs(p.probability - expected[p.index]!)).toBeLessThan(1e-4);
    expect(frame.frame.top5[0]!.label).toBe(['apple', 'pear', 'plum'][expected.indexOf(Math.max(...expected))]);
    model.dispose();
  });

  it('an unsupported layer and an unknown name are answered with one line', async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const up = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(input) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(tf.layers.globalAveragePooling2d({}).apply(up) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const odd = tf.model({ inputs: input, outputs: out });
    const files = await exportFiles(odd);
    odd.dispose();
    const h = workerHarness();
    await h.handle({ type: 'own-model', id: 1, upload: checkModelFiles(files, { name: 'odd' }) });
    await h.handle({ type: 'init', id: 2, model: 'nothing-here', backend: 'cpu', modelsUrl: 'unused' });
    const [refused, missing] = [h.replies.find((r) => r.id === 1)!, h.replies.find((r) => r.id === 2)!];
    expect(refused).toMatchObject({ type: 'error', message: expect.stringMatching(/^model\.json: unsupported layer class 'UpSampling2D' \(layer 'up'\)/) });
    expect(missing).toMatchObject({ type: 'error', message: 'no model named "nothing-here" is stored' });
    for (const r of [refused, missing]) expect((r as { message: string }).message).not.toContain('\n');
  });
});
