import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnknownLayerError } from '../src/core/errors';
import { MemoryFeatureCache } from '../src/core/gallery/feature-cache';
import { FeatureExtractor } from '../src/core/gallery/features';
import { receptiveField, receptiveFields, unitRegion } from '../src/core/gallery/receptive-field';
import { patchGrid, topPatches } from '../src/core/gallery/top-patches';
import { imageToModelInput } from '../src/core/preprocess';
import { bundledGalleryDir, readGalleryDir } from '../src/node/gallery-files';
import { net } from './helpers';

/**
 * MobileNet v1 by hand: conv1 3×3/2, then 13 blocks of depthwise 3×3 (stride 2 in blocks 2, 4, 6 and 12) and
 * pointwise 1×1. Size grows by 2·jump per 3×3 layer; jump doubles at each stride 2. With TensorFlow's 'same'
 * padding on an even input a stride-2 layer pads only after, so unit 0's centre moves by one jump: 1, 3, 7, 15, 31.
 */
const HAND_COMPUTED: [string, number, number, number][] = [
  // layer, size, stride, centre of unit 0
  ['conv1', 3, 2, 1],
  ['conv_dw_1', 7, 2, 1],
  ['conv_pw_1_relu', 7, 2, 1],
  ['conv_dw_2_relu', 11, 4, 3],
  ['conv_pw_2', 11, 4, 3],
  ['conv_dw_3', 19, 4, 3],
  ['conv_dw_4_relu', 27, 8, 7],
  ['conv_pw_5_relu', 43, 8, 7],
  ['conv_dw_6', 59, 16, 15],
  ['conv_pw_7', 91, 16, 15],
  ['conv_pw_11_relu', 219, 16, 15],
  ['conv_dw_12', 251, 32, 31],
  ['conv_pw_13_relu', 315, 32, 31],
];

describe('receptive fields of MobileNet v1 (from the loaded architecture)', () => {
  it('equal the hand-computed sizes, strides and offsets', async () => {
    const model = await net('lite');
    for (const [layer, size, stride, offset] of HAND_COMPUTED) {
      const field = receptiveField(model, layer);
      expect({ layer, size: field.size, stride: field.stride, offset: field.offset }).toEqual({ layer, size: [size, size], stride: [stride, stride], offset: [offset, offset] });
      expect(field.mapSize).toEqual(model.layer(layer).outputShape.slice(0, 2));
    }
    // Every spatial layer has one, up to the global pooling; none after it.
    expect(receptiveFields(model.reference).map((f) => f.layer)).toEqual(model.spatialLayers().map((l) => l.name));
    expect(() => receptiveField(model, 'global_average_pooling2d_1')).toThrow(InvalidInputError);
    expect(() => receptiveField(model, 'conv_pw_99')).toThrow(UnknownLayerError);
  });

  it('match the network: a pixel just outside a unit’s field leaves it unchanged, one just inside changes it', async () => {
    const model = await net('lite');
    const base = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 42) as tf.Tensor4D;
    const baseValues = base.arraySync()[0]!;
    // Pre-activation taps: linear in their input, so a changed input pixel cannot hide behind the last ReLU.
    for (const [layer, uy, ux] of [
      ['conv_pw_2_bn', 10, 10],
      ['conv_pw_2_bn', 0, 0],
      ['conv_pw_5_bn', 13, 5],
    ] as const) {
      const field = receptiveField(model, layer);
      const region = unitRegion(field, uy, ux);
      const unitValues = async (py: number, px: number): Promise<number[]> => {
        const input = tf.tidy(() => {
          const buffer = tf.buffer(base.shape, 'float32', Float32Array.from(base.dataSync()));
          for (let c = 0; c < 3; c++) buffer.set(baseValues[py]![px]![c]! > 0 ? -1 : 1, 0, py, px, c);
          return buffer.toTensor() as tf.Tensor4D;
        });
        const taps = model.run(input, { layers: [layer] });
        const values = (taps.activations[layer]!.slice([0, uy, ux, 0], [1, 1, 1, -1]).dataSync() as Float32Array).slice();
        tf.dispose([input, taps.activations[layer]!]);
        return [...values];
      };
      const baseline = model.run(base, { layers: [layer] });
      const original = [...(baseline.activations[layer]!.slice([0, uy, ux, 0], [1, 1, 1, -1]).dataSync() as Float32Array)];
      tf.dispose(baseline.activations[layer]!);
      const cy = region.y + Math.floor(region.height / 2);
      const cx = region.x + Math.floor(region.width / 2);
      const right = region.x + region.width - 1;
      const bottom = region.y + region.height - 1;
      const changed = (values: number[]): number => values.reduce((s, v, i) => s + Math.abs(v - original[i]!), 0);
      // Inside, at the far edges of the field.
      expect(changed(await unitValues(cy, right)), `${layer} (${uy},${ux}) right edge`).toBeGreaterThan(0);
      expect(changed(await unitValues(bottom, cx)), `${layer} (${uy},${ux}) bottom edge`).toBeGreaterThan(0);
      // Just outside.
      expect(changed(await unitValues(cy, right + 1)), `${layer} (${uy},${ux}) right of the field`).toBe(0);
      expect(changed(await unitValues(bottom + 1, cx)), `${layer} (${uy},${ux}) below the field`).toBe(0);
      if (region.x > 0) expect(changed(await unitValues(cy, region.x - 1))).toBe(0);
      if (region.x > 0) expect(changed(await unitValues(cy, region.x))).toBeGreaterThan(0);
    }
    base.dispose();
  });
});

describe('maximally activating patches on the bundled gallery', () => {
  it('returns the k strongest units, each with its real activation and a crop inside its image', async () => {
    const model = await net('lite');
    const entries = await readGalleryDir(bundledGalleryDir());
    const layer = 'conv_pw_6_relu';
    const channel = 7;
    const cache = new MemoryFeatureCache();
    const extractor = new FeatureExtractor(model, { cache, batchSize: 4 });
    const result = await topPatches(extractor, entries, { layer, channel, k: 6, tileSize: 48 });
    expect(result.patches).toHaveLength(6);
    expect(result.scanned).toBe(entries.length);
    const activations = result.patches.map((p) => p.activation);
    expect([...activations].sort((a, b) => b - a)).toEqual(activations);

    // Independent check: run each image alone and read the channel directly.
    const maps = new Map<string, { data: Float32Array; w: number; c: number; width: number; height: number }>();
    let globalMax = -Infinity;
    for (const entry of entries) {
      const image = await entry.decode();
      const { tensor } = imageToModelInput(image);
      const taps = model.run(tensor, { layers: [layer] });
      const t = taps.activations[layer]!;
      const [, , w, c] = t.shape as number[];
      const data = (await t.data()) as Float32Array;
      tf.dispose([tensor, t]);
      for (let p = 0; p < data.length / c!; p++) globalMax = Math.max(globalMax, data[p * c! + channel]!);
      maps.set(entry.id, { data, w: w!, c: c!, width: image.width, height: image.height });
    }
    expect(result.patches[0]!.activation).toBeCloseTo(globalMax, 4);
    for (const patch of result.patches) {
      const m = maps.get(patch.entry.id)!;
      expect(patch.activation).toBeCloseTo(m.data[(patch.unit.y * m.w + patch.unit.x) * m.c + channel]!, 4);
      expect(patch.region.x).toBeGreaterThanOrEqual(0);
      expect(patch.region.y).toBeGreaterThanOrEqual(0);
      expect(patch.region.x + patch.region.width).toBeLessThanOrEqual(m.width);
      expect(patch.region.y + patch.region.height).toBeLessThanOrEqual(m.height);
      // The 59-pixel field (in 224² input pixels) scaled to the image, less any part beyond the border.
      expect(patch.region.width).toBeLessThanOrEqual(Math.ceil((59 * m.width) / 224) + 1);
      expect(patch.tile).toMatchObject({ width: 48, height: 48 });
    }
    const grid = patchGrid(result.patches);
    expect(grid.width).toBeGreaterThan(48 * 3);

    // Another channel of the same layer comes from the cache: no forward pass.
    const passes = extractor.stats.forwardPasses;
    expect(passes).toBe(Math.ceil(entries.length / 4));
    const other = await topPatches(extractor, entries, { layer, channel: 8, k: 3, tileSize: 0 });
    expect(extractor.stats.forwardPasses).toBe(passes);
    expect(other.patches).toHaveLength(3);
    expect(other.patches[0]!.tile).toBeUndefined();
  });

  it('ranks a ReLU6 layer by its pre-activation: clipped ties at 6.00 are ordered by the value before the clip', async () => {
    const model = await net('lite');
    const entries = await readGalleryDir(bundledGalleryDir());
    const layer = 'conv_pw_5_relu';
    const preLayer = 'conv_pw_5_bn';
    // Independent pre-activations: the Keras LayersModel (batch norm not folded) cut at the BN layer.
    const cut = tf.model({ inputs: model.reference.inputs, outputs: model.reference.getLayer(preLayer).output as tf.SymbolicTensor });
    const maps: { id: string; data: Float32Array; c: number }[] = [];
    for (const entry of entries) {
      const { tensor } = imageToModelInput(await entry.decode());
      const out = cut.predict(tensor) as tf.Tensor;
      maps.push({ id: entry.id, data: (await out.data()) as Float32Array, c: out.shape[3]! });
      tf.dispose([tensor, out]);
    }
    // A channel whose strongest units saturate: several positions above 6 before the clip.
    const c = maps[0]!.c;
    const above6 = (ch: number): number => maps.reduce((n, m) => n + m.data.filter((v, i) => i % c === ch && v > 6).length, 0);
    const channel = Array.from({ length: c }, (_, ch) => ch).find((ch) => above6(ch) >= 4)!;
    expect(channel, 'some channel saturates on the gallery').toBeDefined();
    const extractor = new FeatureExtractor(model, { cache: new MemoryFeatureCache() });
    const result = await topPatches(extractor, entries, { layer, channel, k: 4, maxOverlap: 1, tileSize: 0 });
    expect(result).toMatchObject({ rankedBy: 'pre-activation', preActivationLayer: preLayer });
    const pre = result.patches.map((p) => p.preActivation!);
    // The clipped values tie at 6 (the bug), the pre-activations rank them.
    expect(result.patches.map((p) => p.activation)).toEqual([6, 6, 6, 6]);
    expect([...pre].sort((a, b) => b - a)).toEqual(pre);
    expect(new Set(pre.map((v) => v.toFixed(3))).size, 'distinct values before the clip').toBe(4);
    // Each value is the reference model's at that unit, and the first is the gallery-wide maximum.
    let globalMax = -Infinity;
    for (const m of maps) for (let i = channel; i < m.data.length; i += c) globalMax = Math.max(globalMax, m.data[i]!);
    expect(pre[0]!).toBeCloseTo(globalMax, 3);
    const w = model.layer(layer).outputShape[1]!;
    for (const p of result.patches) {
      const m = maps.find((x) => x.id === p.entry.id)!;
      expect(p.preActivation!).toBeCloseTo(m.data[(p.unit.y * w + p.unit.x) * c + channel]!, 3);
    }
    // A layer that is not an activation keeps ranking by its own output.
    const linear = await topPatches(extractor, entries, { layer: preLayer, channel, k: 2, tileSize: 0 });
    expect(linear.rankedBy).toBe('activation');
    expect(linear.patches[0]!.preActivation).toBeUndefined();
    expect(linear.patches[0]!.activation).toBeCloseTo(globalMax, 3);
  });

  it('rejects unknown layers, layers without a map and channels out of range', async () => {
    const extractor = new FeatureExtractor(await net('lite'));
    const entries = await readGalleryDir(bundledGalleryDir());
    await expect(topPatches(extractor, entries, { layer: 'conv_pw_99', channel: 0 })).rejects.toThrow(UnknownLayerError);
    await expect(topPatches(extractor, entries, { layer: 'conv_pw_6_relu', channel: 128 })).rejects.toThrow(/channel 128 is out of range 0..127/);
    await expect(topPatches(extractor, entries, { layer: 'conv_pw_6_relu', channel: -1 })).rejects.toThrow(InvalidInputError);
    await expect(topPatches(extractor, entries, { layer: 'global_average_pooling2d_1', channel: 0 })).rejects.toThrow(/no spatial map/);
    expect(extractor.stats.forwardPasses).toBe(0);
  });
});
