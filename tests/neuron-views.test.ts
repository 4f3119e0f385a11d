import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { AbortError } from '../src/core/cancel';
import { FeatureExtractor } from '../src/core/gallery/features';
import { MemoryFeatureCache } from '../src/core/gallery/feature-cache';
import { unitField } from '../src/core/gallery/receptive-field';
import { neuronViews, strongestNeuron } from '../src/core/neuron-views';
import { INVERT_ROW_LAYERS } from '../src/core/optimize/defaults';
import { type RowInversion, invertRow, invertRowLayers } from '../src/core/optimize/invert';
import { bundledGalleryDir, readGalleryDir } from '../src/node/gallery-files';
import { imagePath, modelInput, net, readPixelsSync, runCli } from './helpers';

/** The inversion row and the three views of one neuron, on the real lite model (CPU backend). */
describe('inversion row (lite)', () => {
  it('row layers: the declared row in network order, the chosen layer put in its place', async () => {
    const model = await net('lite');
    expect(invertRowLayers(model)).toEqual([...INVERT_ROW_LAYERS]);
    expect(invertRowLayers(model, 'conv_pw_7_relu')).toEqual(['conv_pw_1_relu', 'conv_pw_3_relu', 'conv_pw_5_relu', 'conv_pw_7_relu', 'conv_pw_9_relu', 'conv_pw_13_relu']);
    expect(invertRowLayers(model, 'conv_pw_3_relu')).toHaveLength(5);
    // Not a spatial layer: the row stays as it is.
    expect(invertRowLayers(model, 'conv_preds')).toHaveLength(5);
  });

  it('shallow layers give the photo back, deep ones keep less of it; tensors freed', async () => {
    const model = await net('lite');
    const photo = modelInput('coffee.png').tensor;
    const before = tf.memory().numTensors;
    const seen: string[] = [];
    const row = await invertRow(model, photo, ['conv_pw_1_relu', 'conv_pw_5_relu', 'conv_pw_13_relu'], {
      steps: 8,
      onProgress: (p) => {
        if (p.step === p.steps) seen.push(`${p.layer}:${p.done}/${p.total}`);
      },
    });
    expect(seen).toEqual(['conv_pw_1_relu:8/24', 'conv_pw_5_relu:16/24', 'conv_pw_13_relu:24/24']);
    for (const r of row) console.log(`${r.layer}: distance ${r.startDistance.toFixed(3)} → ${r.distance.toFixed(3)}, pixel r ${r.pixelCorrelation.toFixed(3)}, ${r.ms.toFixed(0)} ms`);
    // What each depth keeps: the pixels' correlation with the photo falls with depth (measured 0.87, 0.10, 0.00
    // with 'l2', 8 steps), and the deepest layer's features stay furthest from the photo's.
    const [shallow, middle, deep] = row as [RowInversion, RowInversion, RowInversion];
    expect(shallow.pixelCorrelation).toBeGreaterThan(0.6);
    expect(shallow.pixelCorrelation).toBeGreaterThan(middle.pixelCorrelation);
    expect(middle.pixelCorrelation).toBeGreaterThan(deep.pixelCorrelation);
    expect(deep.distance).toBeGreaterThan(shallow.distance);
    expect(shallow.distance).toBeLessThan(0.5 * shallow.startDistance);
    tf.dispose(row.map((r) => r.image));
    expect(tf.memory().numTensors).toBe(before);
    photo.dispose();
  });
});

describe('three views of one neuron (lite)', () => {
  const layer = 'conv_pw_5_relu';
  const channel = 7;

  it('the strongest neuron is the arg max of the channel before the clip, recomputed independently', async () => {
    const model = await net('lite');
    const photo = modelInput('chelsea.png').tensor;
    const n = await strongestNeuron(model, photo, layer, channel);
    expect(n.rankedBy).toBe('pre-activation');
    // Independently: the batch-norm output before conv_pw_5_relu, channel 7, arg max over the 28×28 map in tf.
    const taps = model.run(photo, { layers: ['conv_pw_5_bn', layer] });
    const pre = taps.activations['conv_pw_5_bn']!;
    const flat = tf.tidy(() => tf.reshape(tf.slice(pre, [0, 0, 0, channel], [1, -1, -1, 1]), [-1]));
    const index = (await tf.argMax(flat).data())[0]!;
    const max = (await tf.max(flat).data())[0]!;
    expect([n.y, n.x]).toEqual([Math.floor(index / 28), index % 28]);
    expect(n.preActivation).toBeCloseTo(max, 5);
    const act = (await tf.slice(taps.activations[layer]!, [0, n.y, n.x, channel], [1, 1, 1, 1]).data())[0]!;
    expect(n.activation).toBeCloseTo(Math.min(6, Math.max(0, max)), 5);
    expect(n.activation).toBeCloseTo(act, 5);
    tf.dispose([flat, ...Object.values(taps.activations)]);
    photo.dispose();
    await expect(strongestNeuron(model, photo, layer, 64)).rejects.toThrow(/channel 64 is out of range/);
  });

  it('guided map lies inside the receptive field, the visualisation excites the channel, patches as topPatches; nothing leaks', async () => {
    const model = await net('lite');
    const input = modelInput('chelsea.png');
    const gallery = await readGalleryDir(bundledGalleryDir());
    const extractor = new FeatureExtractor(model, { cache: new MemoryFeatureCache() });
    const before = tf.memory().numTensors;
    const progress: [number, number][] = [];
    const v = await neuronViews(model, extractor, gallery, input, { layer, channel, k: 4, steps: 6, onProgress: (d, t) => progress.push([d, t]) });
    // Guided backprop: non-zero somewhere, and exactly zero outside the neuron's whole receptive field.
    const f = unitField(v.field, v.neuron.y, v.neuron.x);
    expect(v.fieldRect).toEqual(f);
    let inside = 0;
    let outside = 0;
    for (let y = 0; y < 224; y++) {
      for (let x = 0; x < 224; x++) {
        const g = v.guided.data[y * 224 + x]!;
        const within = x >= f.x && x < f.x + f.width && y >= f.y && y < f.y + f.height;
        if (within) inside += g;
        else outside = Math.max(outside, g);
      }
    }
    expect(inside).toBeGreaterThan(0);
    expect(outside).toBe(0);
    expect(v.region.width).toBeLessThan(224);
    // The generated image drives the channel's mean above the grey picture's.
    expect(v.visualisation.activation).toBeGreaterThan(v.visualisation.startActivation);
    expect(v.visualisation.steps).toBe(6);
    // The patches are topPatches' own: 4, strongest first.
    expect(v.patches.patches).toHaveLength(4);
    const scores = v.patches.patches.map((p) => p.preActivation!);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // Progress rises to its total.
    expect(progress.at(-1)![0]).toBe(progress.at(-1)![1]);
    v.visualisation.image.dispose();
    expect(tf.memory().numTensors).toBe(before);
    input.tensor.dispose();
  });

  it('a saturated strongest neuron (> 6 before the clip) still gets a guided map: that of its pre-activation', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const gallery = (await readGalleryDir(bundledGalleryDir())).slice(0, 1);
    const extractor = new FeatureExtractor(model, { cache: new MemoryFeatureCache() });
    const v = await neuronViews(model, extractor, gallery, input, { layer: 'conv_pw_3_relu', channel: 0, k: 1, steps: 1 });
    expect(v.neuron.preActivation).toBeGreaterThan(6);
    expect(v.neuron.activation).toBeCloseTo(6, 5);
    expect(Math.max(...v.guided.data)).toBeGreaterThan(0);
    v.visualisation.image.dispose();
    input.tensor.dispose();
  });

  it('cancel in the middle of the visualisation rejects with AbortError and leaves no tensors', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const gallery = await readGalleryDir(bundledGalleryDir());
    const extractor = new FeatureExtractor(model, { cache: new MemoryFeatureCache() });
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = neuronViews(model, extractor, gallery, input, { layer, channel, steps: 20, signal: controller.signal, onProgress: (d) => d >= 3 && controller.abort() });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(tf.memory().numTensors).toBe(before);
    // And the inversion row, cancelled at its second layer: the first layer's image is freed too.
    const row = new AbortController();
    const inverting = invertRow(model, input.tensor, ['conv_pw_1_relu', 'conv_pw_3_relu'], { steps: 3, signal: row.signal, onProgress: (p) => p.index === 1 && row.abort() });
    await expect(inverting).rejects.toBeInstanceOf(AbortError);
    expect(tf.memory().numTensors).toBe(before);
    input.tensor.dispose();
  });
});

describe('invert --layers (CLI, lite)', () => {
  it('writes the row PNG and reports each layer; bad lists get one line', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'convlens-row-')), 'row.png');
    const run = await runCli('invert', imagePath('coffee.png'), '--layers', 'conv_pw_1_relu,conv_pw_5_relu', '--steps', '2', '--out', out, '--json', '--model', 'lite');
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as { preset: string; row: { layer: string; steps: number; pixelCorrelation: number }[] };
    expect(r.preset).toBe('l2');
    expect(r.row.map((x) => [x.layer, x.steps])).toEqual([['conv_pw_1_relu', 2], ['conv_pw_5_relu', 2]]);
    // The photo and two reconstructions side by side (4 px gaps), a caption strip under each.
    const png = readPixelsSync(out);
    expect([png.width, png.height]).toEqual([3 * 224 + 2 * 4, 224 + 18]);
    for (const [args, message] of [
      [['--layers', 'conv_pw_1_relu,nope'], /unknown layer 'nope'/],
      [['--layers', 'conv_pw_1_relu', '--layer', 'conv_pw_1_relu'], /give --layer or --layers, not both/],
    ] as const) {
      const bad = await runCli('invert', imagePath('coffee.png'), ...args, '--model', 'lite');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(message);
    }
  });
});
