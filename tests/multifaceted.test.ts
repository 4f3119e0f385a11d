import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortError } from '../src/core/cancel';
import { InvalidInputError } from '../src/core/errors';
import { MemoryFeatureCache } from '../src/core/gallery/feature-cache';
import { FeatureExtractor } from '../src/core/gallery/features';
import type { GalleryEntry } from '../src/core/gallery/gallery';
import { type Taps, disposeTaps } from '../src/core/network';
import { centreBias, centreMask, kmeansClusters, multifacetedVisualization, scoreGallery, topIndices } from '../src/core/optimize/multifaceted';
import { normalizedAscent } from '../src/core/optimize/steps';
import { imageToModelInput } from '../src/core/preprocess';
import { bundledGalleryDir, fileEntry } from '../src/node/gallery-files';
import { FACETS_JOB, MULTIFACETED_DEFAULTS } from '../src/core/optimize/multifaceted-defaults';
import type { AppState } from '../src/ui/app-state';
import { JOB_KINDS } from '../src/ui/jobs/job-kinds';
import type { RgbaImage } from '../src/core/preprocess';
import { runJob } from '../workers/jobs';
import { net, readPixelsSync, runCli } from './helpers';

const BELL_PEPPER = 945;
/**
 * Timeout of the model tests: alone on CI's 2 cores each takes well under a minute (the whole file used 50 s of CPU),
 * but on a shared machine the wall time grows with the load.
 */
const HEAVY_MS = 300_000;
const PHOTOS = join(bundledGalleryDir(), 'photos');
/** Twelve bell peppers of four colours and six photos without one. */
const NAMES = [
  ...['green', 'red', 'yellow', 'orange'].flatMap((c) => [1, 2, 3].map((i) => `grocery-${c}-bell-pepper-${i}.jpg`)),
  'grocery-lemon-1.jpg',
  'grocery-leek-1.jpg',
  'grocery-watermelon-1.jpg',
  'kodak-hats-03.jpg',
  'kodak-motocross-05.jpg',
  'budgie-canyon-wren.jpg',
];

let gallery: Promise<GalleryEntry[]> | undefined;
/** One feature cache for the file: the pictures' features are computed once. */
const cache = new MemoryFeatureCache();
const entries = (): Promise<GalleryEntry[]> => (gallery ??= Promise.all(NAMES.map((n) => fileEntry(join(PHOTOS, n), n))));

/** Independent scores: a full forward pass of each picture's model input (no extractor, no runFrom). */
async function forward(entry: GalleryEntry, read: (taps: Taps) => tf.Tensor): Promise<Float32Array> {
  const n = await net();
  const input = imageToModelInput(await entry.decode(), 'stretch', n.inputSize).tensor;
  const taps = n.run(input, { logits: true, layers: ['conv_pw_5_relu'] });
  const value = tf.tidy(() => read(taps));
  const out = (await value.data()) as Float32Array;
  value.dispose();
  disposeTaps(taps);
  input.dispose();
  return out;
}

describe('k-means on hand-made points', () => {
  // Three tight blobs around (0, 0), (10, 0) and (0, 10), interleaved.
  const centres = [[0, 0], [10, 0], [0, 10]];
  const offsets = [[0.3, -0.2], [-0.4, 0.1], [0.1, 0.4], [0, -0.3]];
  const points = offsets.flatMap((o) => centres.map((c) => [c[0]! + o[0]!, c[1]! + o[1]!]));
  const truth = points.map((_, i) => i % 3);

  it('recovers the blobs, their means and the within-cluster sum of squares', () => {
    const c = kmeansClusters(points, 3, { seed: 7 });
    // Renumbered by first appearance: point i belongs to blob i % 3.
    expect(c.assignments).toEqual(truth);
    const meanOffset = [offsets.reduce((s, o) => s + o[0]!, 0) / 4, offsets.reduce((s, o) => s + o[1]!, 0) / 4];
    c.centroids.forEach((m, k) => {
      expect(m[0]).toBeCloseTo(centres[k]![0]! + meanOffset[0]!, 10);
      expect(m[1]).toBeCloseTo(centres[k]![1]! + meanOffset[1]!, 10);
    });
    // Each blob contributes Σ‖o − ō‖² over its four offsets.
    const perBlob = offsets.reduce((s, o) => s + (o[0]! - meanOffset[0]!) ** 2 + (o[1]! - meanOffset[1]!) ** 2, 0);
    expect(c.inertia).toBeCloseTo(3 * perBlob, 10);
  });

  it('gives the same partition for the same seed, and k = 1 is the mean of everything', () => {
    expect(kmeansClusters(points, 3, { seed: 3 })).toEqual(kmeansClusters(points, 3, { seed: 3 }));
    const one = kmeansClusters(points, 1);
    expect(one.assignments.every((a) => a === 0)).toBe(true);
    expect(one.centroids[0]![0]).toBeCloseTo(points.reduce((s, p) => s + p[0]!, 0) / points.length, 10);
  });

  it('refuses more clusters than distinct points, and ragged points', () => {
    expect(() => kmeansClusters([[1, 1], [1, 1], [2, 2]], 3)).toThrow(InvalidInputError);
    expect(() => kmeansClusters([[1, 1], [2]], 1)).toThrow(InvalidInputError);
    expect(() => topIndices([1, 2], 0)).toThrow(InvalidInputError);
  });
});

describe('the centre-biased update', () => {
  it('is a soft disc: 1 in the middle, 0 in the corners, half way across the edge', () => {
    const mask = centreMask(8, 0.5, 0.5);
    const m = mask.dataSync();
    mask.dispose();
    // Pixel (3, 3) is at distance √2·0.5/4 ≈ 0.18 from the centre (inside); (0, 0) at √2·3.5/4 ≈ 1.24 (outside).
    expect(m[3 * 8 + 3]).toBe(1);
    expect(m[0]).toBe(0);
    // Pixel (3, 0): d = √(3.5² + 0.5²)/4 = 0.884, u = (0.884 − 0.5)/0.5 = 0.768, (cos πu + 1)/2.
    const d = Math.hypot(3.5, 0.5) / 4;
    expect(m[3 * 8]).toBeCloseTo((Math.cos(Math.PI * ((d - 0.5) / 0.5)) + 1) / 2, 5);
  });

  it('changes only the middle on the first step, the whole image on the last', () => {
    const rule = centreBias(normalizedAscent(0.05));
    const x = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
    const gradient = tf.onesLike(x);
    const state = rule.start();
    const step = (s: number): Float32Array => tf.tidy(() => state.update({ step: s, steps: 10, x, gradient, inputGradient: gradient, taps: { activations: {} } }).dataSync() as Float32Array);
    const first = step(0);
    const last = step(9);
    state.dispose();
    tf.dispose([x, gradient]);
    const at = (a: Float32Array, y: number, xx: number): number => a[(y * 64 + xx) * 3]!;
    expect(at(first, 32, 32)).toBeCloseTo(0.05, 3);
    expect(Math.abs(at(first, 0, 0))).toBeLessThan(1e-6);
    expect(at(last, 0, 0)).toBeCloseTo(0.05, 3);
  });
});

describe('multifaceted visualisation on the lite model', () => {
  it('scores the gallery by the class logit and the channel mean, as full forward passes do', async () => {
    const n = await net();
    const all = await entries();
    const extractor = new FeatureExtractor(n, { cache });
    const byClass = await scoreGallery(extractor, all, { kind: 'class', index: BELL_PEPPER });
    const byChannel = await scoreGallery(extractor, all, { kind: 'channel', layer: 'conv_pw_5_relu', channel: 17 });
    expect(byClass.images.map((s) => s.entry.name)).toEqual(NAMES);
    // One full pass per picture gives both independent scores.
    const independent: number[] = [];
    for (const [i, entry] of all.entries()) {
      const [logit, act] = await forward(entry, (t) => tf.concat([tf.slice(t.logits!, [0, BELL_PEPPER], [1, 1]).reshape([1]), tf.mean(tf.slice(t.activations['conv_pw_5_relu']!, [0, 0, 0, 17], [-1, -1, -1, 1])).reshape([1])]));
      expect(byClass.images[i]!.score).toBeCloseTo(logit!, 3);
      expect(byChannel.images[i]!.score).toBeCloseTo(act!, 4);
      independent.push(logit!);
    }
    // The top 9 by the independent logits are the top 9 the method takes.
    const top = topIndices(byClass.images.map((s) => s.score), 9);
    const sorted = [...independent].sort((a, b) => b - a);
    expect(top.map((i) => independent[i])).toEqual(sorted.slice(0, 9));
  }, HEAVY_MS);

  it('clusters the top images into facets, starts each from its mean and raises the logit', async () => {
    const n = await net();
    const all = await entries();
    const extractor = new FeatureExtractor(n, { cache });
    const before = tf.memory().numTensors;
    const phases = new Set<string>();
    const result = await multifacetedVisualization(extractor, all, { kind: 'class', index: BELL_PEPPER }, { topN: 9, facets: 3, steps: 3, onProgress: (p) => phases.add(p.phase) });
    try {
      expect(phases).toEqual(new Set(['scoring', 'optimising']));
      expect(result.label).toMatch(/bell pepper/);
      expect(result.scored).toBe(NAMES.length);
      expect(result.top).toHaveLength(9);
      expect(result.facets).toHaveLength(3);
      // The members partition the top 9: disjoint, nothing lost, largest facet first.
      const members = result.facets.flatMap((f) => f.members.map((m) => m.entry.name));
      expect(new Set(members).size).toBe(9);
      expect(new Set(members)).toEqual(new Set(result.top.map((s) => s.entry.name)));
      const sizes = result.facets.map((f) => f.members.length);
      expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
      // Distinct clusters: every member is nearer (pooled features) its own facet's mean than any other facet's.
      const feats = await scoreGallery(extractor, all, { kind: 'class', index: BELL_PEPPER });
      const vec = (name: string): Float32Array => feats.features[feats.images.findIndex((s) => s.entry.name === name)]!;
      const centroid = (f: (typeof result.facets)[number]): number[] => {
        const vs = f.members.map((m) => vec(m.entry.name));
        return Array.from(vs[0]!, (_, d) => vs.reduce((s, v) => s + v[d]!, 0) / vs.length);
      };
      const centroids = result.facets.map(centroid);
      const dist = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.hypot(...Array.from(a, (v, d) => v - b[d]!));
      result.facets.forEach((f, k) => {
        for (const m of f.members) {
          const own = dist(vec(m.entry.name), centroids[k]!);
          centroids.forEach((c, j) => j !== k && expect(own).toBeLessThanOrEqual(dist(vec(m.entry.name), c)));
        }
      });
      // Each start is its members' mean input (8-bit rounded), and the starts differ between facets.
      for (const f of result.facets) {
        const inputs = await Promise.all(f.members.map(async (m) => imageToModelInput(await m.entry.decode(), 'stretch', n.inputSize).tensor));
        const mean = tf.tidy(() => tf.mean(tf.concat(inputs), 0, true));
        const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(mean, f.init))).dataSync()[0]!);
        tf.dispose([...inputs, mean]);
        expect(gap).toBeLessThanOrEqual(1 / 127.5 + 1e-6);
      }
      for (let a = 0; a < 3; a++) {
        for (let b = a + 1; b < 3; b++) {
          const diff = tf.tidy(() => tf.mean(tf.abs(tf.sub(result.facets[a]!.init, result.facets[b]!.init))).dataSync()[0]!);
          expect(diff * 127.5).toBeGreaterThan(5); // more than 5 pixel levels apart on average
        }
      }
      // The ascent raises the class logit over the start, and the reported values are those of the images.
      for (const f of result.facets) {
        expect(f.value).toBeGreaterThan(f.initValue + 1);
        const check = tf.tidy(() => n.run(f.image, { logits: true }).logits!.dataSync()[BELL_PEPPER]!);
        expect(f.value).toBeCloseTo(check, 3);
        expect(f.probability!).toBeGreaterThanOrEqual(0);
        expect(f.probability!).toBeLessThanOrEqual(1);
      }
    } finally {
      for (const f of result.facets) tf.dispose([f.init, f.image]);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, HEAVY_MS);

  it('stops on cancel with every tensor freed, and refuses bad counts in one line', async () => {
    const n = await net();
    const all = await entries();
    const extractor = new FeatureExtractor(n, { cache });
    await scoreGallery(extractor, all, { kind: 'class', index: BELL_PEPPER }); // warm the cache
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = multifacetedVisualization(extractor, all, { kind: 'class', index: BELL_PEPPER }, {
      topN: 6, facets: 2, steps: 10, signal: controller.signal,
      onProgress: (p) => p.phase === 'optimising' && p.done === 2 && controller.abort(new AbortError()),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
    const bad = (o: object, t: object = { kind: 'class', index: BELL_PEPPER }) => multifacetedVisualization(extractor, all, t as never, o);
    await expect(bad({ facets: 5, topN: 4 })).rejects.toThrow(InvalidInputError);
    await expect(bad({ steps: -1 })).rejects.toThrow(InvalidInputError);
    await expect(bad({}, { kind: 'class', index: 1000 })).rejects.toThrow(InvalidInputError);
    await expect(bad({}, { kind: 'channel', layer: 'conv_pw_5_relu', channel: 9999 })).rejects.toThrow(InvalidInputError);
    expect(tf.memory().numTensors).toBe(before);
  }, HEAVY_MS);
});

describe('the facets command', () => {
  it('writes the JSON document and the panel, and refuses a missing class in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'convlens-facets-'));
    try {
      const pictures = join(dir, 'pictures');
      mkdirSync(pictures);
      for (const n of NAMES.slice(0, 6)) symlinkSync(join(PHOTOS, n), join(pictures, n));
      const out = join(dir, 'grid.png');
      // 0 steps: the facets are their mean images (the scoring, clustering, JSON and panel are what is tested here).
      const run = await runCli('facets', '--class', String(BELL_PEPPER), '--facets', '2', '--top', '4', '--steps', '0', '--gallery', pictures, '--cache', join(dir, 'cache'), '--model', 'lite', '--json', '--out', out);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const doc = JSON.parse(run.stdout) as { class: { index: number; label: string }; scored: number; steps: number; facets: { value: number; initValue: number; members: { file: string; logit: number }[] }[]; out: string };
      expect(doc.class).toEqual({ index: BELL_PEPPER, label: expect.stringMatching(/bell pepper/) });
      expect(doc.scored).toBe(6);
      expect(doc.facets).toHaveLength(2);
      expect(doc.facets.flatMap((f) => f.members)).toHaveLength(4);
      for (const f of doc.facets) expect(f.value).toBeCloseTo(f.initValue, 5);
      // Two rows of 160-px tiles; with 0 steps each row's facet tile (x 180) repeats its start tile (x 14) inside the frames.
      const panel = readPixelsSync(out);
      expect(panel.height).toBeGreaterThanOrEqual(2 * (160 + 16));
      let differ = 0;
      for (let y = 10; y < 160; y++) {
        for (let x = 4; x < 150; x++) {
          const a = (y * panel.width + 14 + x) * 4;
          const b = (y * panel.width + 180 + x) * 4;
          if (panel.data[a] !== panel.data[b] || panel.data[a + 1] !== panel.data[b + 1]) differ++;
        }
      }
      expect(differ).toBe(0);
      const bad = await runCli('facets', '--gallery', pictures, '--model', 'lite');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/--class/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, HEAVY_MS);
});

describe('the app job', () => {
  it('aims at the chosen class with the declared facets and steps at each level of detail', () => {
    const state = (detail: 'default' | 'detail') => ({ goal: { index: BELL_PEPPER, label: 'bell pepper' }, detail }) as unknown as AppState;
    expect(JOB_KINDS.facets.group).toBe('generate');
    expect(JOB_KINDS.facets.spec(state('default'))).toEqual({ kind: 'multifaceted', classIndex: BELL_PEPPER, ...FACETS_JOB.default });
    expect(JOB_KINDS.facets.spec(state('detail'))).toEqual({ kind: 'multifaceted', classIndex: BELL_PEPPER, facets: 4, steps: MULTIFACETED_DEFAULTS.steps });
    expect(JOB_KINDS.facets.title(state('default'))).toMatch(/facets of “bell pepper”/);
  });
});

describe('the worker job', () => {
  it('runs the core function with progress and previews, and returns pictures and gallery ids', async () => {
    const n = await net();
    const all = await entries();
    const before = tf.memory().numTensors;
    const reports: { done: number; total: number; preview: boolean }[] = [];
    const result = await runJob(
      { net: n, extractor: new FeatureExtractor(n, { cache }), gallery: async () => all, addToGallery: () => Promise.reject(new Error('unused')), toRgba: (i) => i as RgbaImage },
      { kind: 'multifaceted', classIndex: BELL_PEPPER, facets: 2, steps: 2, topN: 6 },
      { signal: new AbortController().signal, onProgress: (done, total, preview) => reports.push({ done, total, preview: preview !== undefined }), setPerturbation: () => undefined },
    );
    await new Promise((r) => setTimeout(r, 50)); // previews are converted asynchronously
    if (result.kind !== 'multifaceted') throw new Error(`unexpected ${result.kind}`);
    expect(result.facets).toHaveLength(2);
    const ids = new Set(all.map((e) => e.id));
    for (const f of result.facets) {
      expect([f.image.width, f.image.height, f.init.width, f.init.height]).toEqual([224, 224, 224, 224]);
      expect(f.members.every((m) => ids.has(m.id))).toBe(true);
      expect(f.probability).toBeGreaterThanOrEqual(0);
    }
    expect(reports.at(-1)).toMatchObject({ done: 4, total: 4 });
    expect(reports.some((r) => r.preview)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  }, HEAVY_MS);
});
