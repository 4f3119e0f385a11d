/**
 * The app's default gallery (issue 11): 7 sample pictures + 183 photos (public/gallery/photos), their shipped
 * features (public/gallery/features.json + features.bin, float16, written by `npm run gallery:features` on the WASM
 * backend) and what the features are worth: nearest-neighbour agreement of the grocery photos by variety and by
 * coarse class, feature space against pixel space.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { groceryClass, parseAttribution } from '../src/core/gallery/attribution';
import { MemoryFeatureCache } from '../src/core/gallery/feature-cache';
import { FeatureExtractor, modelKey } from '../src/core/gallery/features';
import { evenlySpaced, trainingPictures } from '../src/core/gallery/gallery';
import { type Metric, neighbourAgreement, pixelVectors } from '../src/core/gallery/neighbours';
import { PrecomputedFeatureCache, PrecomputedFeatures, fromHalf, packPrecomputed, toHalf } from '../src/core/gallery/precomputed';
import type { ModelId } from '../src/core/models';
import type { ConvNet } from '../src/core/network';
import { type FileEntry, appGalleryEntries, readPrecomputed } from '../src/node/gallery-files';
import { ROOT, net } from './helpers';
import { relL2 } from './metrics';
import { workerHarness } from './worker-harness';

const MODELS: ModelId[] = ['lite', 'standard'];
/** Feature-space 1-NN agreement must beat the best pixel-space one by this much (fraction of the 150 photos). */
const MARGIN = 0.2; // measured: ≥ 29 points (variety) and ≥ 37 points (coarse) over pixel space; one photo is 0.67 points
let entries: FileEntry[];
let shipped: PrecomputedFeatures;
const models = {} as Record<ModelId, ConvNet>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  entries = await appGalleryEntries();
  shipped = await readPrecomputed();
  for (const id of MODELS) models[id] = await net(id);
}, 120_000);

describe('evenlySpaced and trainingPictures (the UAP job\'s pictures)', () => {
  it('picks max items evenly, first and last included; all when there are few', () => {
    const items = Array.from({ length: 190 }, (_, i) => i);
    expect(evenlySpaced(items, 8)).toEqual([0, 27, 54, 81, 108, 135, 162, 189]);
    expect(evenlySpaced(items.slice(0, 5), 8)).toEqual([0, 1, 2, 3, 4]);
    expect(evenlySpaced(items.slice(0, 10), 4)).toEqual([0, 3, 6, 9]);
    expect(evenlySpaced(items, 1)).toEqual([0]);
    expect(evenlySpaced(items, 0)).toEqual([]);
    expect(() => evenlySpaced(items, -1)).toThrow(/non-negative integer/);
  });

  it('trains on the sample and stored pictures first, topped up with photos picked evenly', () => {
    const names = [...['a.png', 'b.png', 'c.png'], ...Array.from({ length: 10 }, (_, i) => `photos/p${i}.jpg`), 'snapshot 1'];
    const entries = names.map((name) => ({ id: name, name, decode: () => ({ width: 1, height: 1, data: new Uint8ClampedArray(4) }) }));
    expect(trainingPictures(entries, 8).map((e) => e.name)).toEqual(['a.png', 'b.png', 'c.png', 'snapshot 1', 'photos/p0.jpg', 'photos/p3.jpg', 'photos/p6.jpg', 'photos/p9.jpg']);
    expect(trainingPictures(entries, 2).map((e) => e.name)).toEqual(['a.png', 'snapshot 1']);
  });
});

describe('float16 packing', () => {
  it('encodes hand-computed values exactly and rounds others to nearest even within 2^-11 relative', () => {
    const cases: [number, number][] = [[0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [2 ** -14, 0x0400], [2 ** -24, 0x0001], [3 * 2 ** -25, 0x0002], [2 ** -26, 0x0000], [0.1, 0x2e66], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [Infinity, 0x7c00]];
    for (const [value, bits] of cases) expect(toHalf(value), String(value)).toBe(bits);
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
    expect(fromHalf(0x3c00)).toBe(1);
    expect(fromHalf(0x0001)).toBe(2 ** -24);
    expect(fromHalf(0x7bff)).toBe(65504);
    expect(fromHalf(0xc000)).toBe(-2);
    for (let i = 0; i < 1000; i++) {
      const v = (Math.sin(i * 12.9898) * 43758.5453) % 30;
      expect(Math.abs(fromHalf(toHalf(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25);
    }
  });

  it('packs rows, finds them by (model, layer, image), falls back to the inner cache and refuses short data', async () => {
    const rows = [
      { model: 'm', key: 'k1', layer: 'gap', shape: [3], images: ['a', 'b'], vectors: [Float32Array.of(1, 2, 3), Float32Array.of(-0.5, 0.25, 8)] },
      { model: 'n', key: 'k2', layer: 'gap', shape: [2], images: ['a'], vectors: [Float32Array.of(4, 5)] },
    ];
    const { index, data } = packPrecomputed(rows);
    expect(data.byteLength).toBe((6 + 2) * 2);
    const features = new PrecomputedFeatures(index, data);
    expect(features.size).toBe(3);
    expect(features.get({ model: 'k1', layer: 'gap', image: 'b' })).toEqual({ shape: [3], data: Float32Array.of(-0.5, 0.25, 8) });
    expect(features.get({ model: 'k2', layer: 'gap', image: 'a' })).toEqual({ shape: [2], data: Float32Array.of(4, 5) });
    expect(features.get({ model: 'k2', layer: 'gap', image: 'b' })).toBeUndefined();
    expect(() => new PrecomputedFeatures(index, data.subarray(0, 14))).toThrow(/block n needs 16 bytes, features.bin has 14/);

    const inner = new MemoryFeatureCache();
    await inner.set({ model: 'k2', layer: 'gap', image: 'c' }, { shape: [2], data: Float32Array.of(7, 8) });
    let loads = 0;
    const cache = new PrecomputedFeatureCache(async () => (loads++, features), inner);
    expect(loads).toBe(0); // lazy
    expect((await cache.get({ model: 'k1', layer: 'gap', image: 'a' }))?.data).toEqual(Float32Array.of(1, 2, 3));
    expect((await cache.get({ model: 'k2', layer: 'gap', image: 'c' }))?.data).toEqual(Float32Array.of(7, 8));
    await cache.set({ model: 'k1', layer: 'gap', image: 'z' }, { shape: [3], data: Float32Array.of(0, 0, 1) });
    expect(inner.size).toBe(2);
    expect([loads, cache.hits]).toEqual([1, 1]);
    // A failed load means no shipped features: the inner cache answers alone.
    const broken = new PrecomputedFeatureCache(() => Promise.reject(new Error('404')), inner);
    expect((await broken.get({ model: 'k1', layer: 'gap', image: 'a' }))).toBeUndefined();
  });
});

describe('the shipped gallery features', () => {
  it('cover every listed picture for both models, under the models\' current fingerprints', async () => {
    expect(entries).toHaveLength(190);
    for (const id of MODELS) {
      const key = await modelKey(models[id]);
      const layer = models[id].featuresLayer;
      const block = shipped.index.blocks.find((b) => b.model === id)!;
      expect(block.key, `${id}: stale features (rerun npm run gallery:features)`).toBe(key);
      expect(block.shape).toEqual([id === 'lite' ? 256 : 768]);
      for (const e of entries) expect(shipped.get({ model: key, layer, image: e.id }), `${id} ${e.name}`).toBeDefined();
    }
  });

  it('equal features computed afresh on the CPU backend (independent of the WASM backend that wrote them): relative L2 ≤ 1e-3 per picture', async () => {
    // Every 10th picture for lite (19), every 30th for standard (7): the CPU backend is slow here.
    for (const [id, step] of [['lite', 10], ['standard', 30]] as const) {
      const sample = entries.filter((_, i) => i % step === 0);
      const fresh = await new FeatureExtractor(models[id], { batchSize: 4 }).features(sample);
      const key = await modelKey(models[id]);
      let worst = 0;
      fresh.entries.forEach((e, i) => {
        const stored = shipped.get({ model: key, layer: fresh.layer, image: e.id })!.data;
        worst = Math.max(worst, relL2(stored, fresh.vectors[i]!));
      });
      console.log(`shipped vs fresh ${id}: ${sample.length} pictures, worst relative L2 ${worst.toExponential(2)}`);
      // float16 rounding alone is ≤ 2^-11 = 4.9e-4 per value, about 2.8e-4 relative L2 on average.
      expect(worst).toBeLessThanOrEqual(1e-3);
      expect(worst).toBeGreaterThan(0); // float16, not a copy of the same float32 values
    }
  }, 300_000);

  it('let the worker draw a PCA map of all 190 pictures without one forward pass', async () => {
    const run = vi.spyOn(models.lite, 'run');
    const h = workerHarness({
      loadNet: async () => models.lite,
      loadGallery: () => appGalleryEntries(),
      loadPrecomputed: () => readPrecomputed(),
    });
    try {
      await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused', galleryUrl: 'file:///gallery/' });
      run.mockClear();
      await h.handle({ type: 'job', id: 2, job: { kind: 'embed', method: 'pca' } });
      const reply = h.replies.find((r) => r.id === 2 && r.type !== 'progress');
      if (reply?.type !== 'done' || reply.result.kind !== 'embed') throw new Error(JSON.stringify(reply).slice(0, 300));
      expect(reply.result.points).toHaveLength(190);
      expect(run).not.toHaveBeenCalled();
    } finally {
      run.mockRestore();
    }
  }, 300_000);
});

/** Labels of the gallery pictures: variety and coarse class for grocery photos, undefined for the rest. */
function groceryLabels(): { variety: (string | undefined)[]; coarse: (string | undefined)[] } {
  const rows = new Map(parseAttribution(readFileSync(join(ROOT, 'public', 'gallery', 'photos', 'ATTRIBUTION.csv'), 'utf8')).map((r) => [`photos/${r.file}`, r]));
  const classes = entries.map((e) => {
    const row = rows.get(e.name);
    return row ? groceryClass(row) : undefined;
  });
  return { variety: classes.map((c) => c?.variety), coarse: classes.map((c) => c?.coarse) };
}

describe('nearest-neighbour agreement on the grocery photos (150 photos, 50 varieties × 3, 34 coarse classes)', () => {
  it('is far higher in feature space than in pixel space, for both models and both metrics', async () => {
    const labels = groceryLabels();
    expect(labels.variety.filter(Boolean)).toHaveLength(150);
    expect(new Set(labels.variety.filter(Boolean)).size).toBe(50);
    expect(new Set(labels.coarse.filter(Boolean)).size).toBe(34);
    const pixels = (await pixelVectors(entries)).vectors;
    expect(pixels).toHaveLength(190);
    const rate = (points: readonly Float32Array[], which: (string | undefined)[], metric: Metric): number => {
      const { matched, total } = neighbourAgreement(points, which, metric);
      return matched / total;
    };
    const figures: Record<string, { variety: number; coarse: number }> = {};
    const spaces: [string, Float32Array[]][] = [['pixel', pixels]];
    for (const id of MODELS) {
      const key = await modelKey(models[id]);
      spaces.push([id, entries.map((e) => shipped.get({ model: key, layer: models[id].featuresLayer, image: e.id })!.data)]);
    }
    for (const [space, points] of spaces) {
      for (const metric of ['l2', 'cosine'] as const) figures[`${space}/${metric}`] = { variety: rate(points, labels.variety, metric), coarse: rate(points, labels.coarse, metric) };
    }
    console.table(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, { variety: `${(100 * v.variety).toFixed(1)} %`, coarse: `${(100 * v.coarse).toFixed(1)} %` }])));
    const pixelBest = Math.max(figures['pixel/l2']!.variety, figures['pixel/cosine']!.variety);
    const pixelBestCoarse = Math.max(figures['pixel/l2']!.coarse, figures['pixel/cosine']!.coarse);
    for (const id of MODELS) {
      for (const metric of ['l2', 'cosine']) {
        const f = figures[`${id}/${metric}`]!;
        expect(f.variety - pixelBest, `${id}/${metric} variety`).toBeGreaterThanOrEqual(MARGIN);
        expect(f.coarse - pixelBestCoarse, `${id}/${metric} coarse`).toBeGreaterThanOrEqual(MARGIN);
      }
    }
  }, 300_000);
});
