import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { AbortError } from '../src/core/cancel';
import { InvalidInputError } from '../src/core/errors';
import { grabCutWithOpenCv, matCounts } from '../src/core/grabcut-opencv';
import { loadOpenCv, openCvGrabCut } from '../src/node/opencv';
import type { RgbaImage } from '../src/core/preprocess';
import { type Box, GC, SEGMENT_DEFAULTS, boxIoU, boxInPicture, largestComponent, maskBox, outline, quantile, seedFromMap, segment } from '../src/core/segment';
import { readPicture } from '../src/node/image-io';
import { imageToModelInput } from '../src/core/preprocess';
import { type JobContext, runJob } from '../workers/jobs';
import type { SegmentJobResult } from '../workers/protocol';
import { expectOneLineFailures, imagePath, net, runCli } from './helpers';

/**
 * The object in each shared photo with one clear object, boxed by hand in the photo's pixels (looked at, not taken
 * from any output): the cup on its saucer, the cat's head and shoulders (the cat fills the frame up to x≈400), the
 * motorcycle from mirror to tyres.
 */
const OBJECTS: Record<string, Box> = {
  'coffee.png': { x: 75, y: 18, width: 405, height: 372 },
  'chelsea.png': { x: 0, y: 0, width: 400, height: 300 },
  'motorcycle_left.png': { x: 92, y: 88, width: 593, height: 362 },
};

describe('seeding GrabCut from a map (Simonyan et al. 2014: > 95th percentile foreground, < 30th background)', () => {
  it('labels a hand-made map 0..99 by its quantiles', () => {
    const map = Float32Array.from({ length: 100 }, (_, i) => (i * 37) % 100); // every value 0..99 once, shuffled
    const seed = seedFromMap(map);
    // numpy-style quantiles of 0..99: q95 = 94.05, q30 = 29.7, median 49.5.
    expect(quantile(map, 0.95)).toBeCloseTo(94.05, 5);
    expect(quantile(map, 0.3)).toBeCloseTo(29.7, 5);
    for (let i = 0; i < 100; i++) {
      const v = map[i]!;
      const want = v >= 95 ? GC.FGD : v <= 29 ? GC.BGD : v >= 50 ? GC.PR_FGD : GC.PR_BGD;
      expect(seed[i], `value ${v}`).toBe(want);
    }
    expect(seed.filter((l) => l === GC.FGD)).toHaveLength(5);
    expect(seed.filter((l) => l === GC.BGD)).toHaveLength(30);
  });

  it('refuses a flat map and bad quantiles in one line', () => {
    expect(() => seedFromMap(new Float32Array(50).fill(0.2))).toThrow(InvalidInputError);
    expect(() => seedFromMap(new Float32Array(50).fill(0.2))).toThrow(/flat/);
    expect(() => seedFromMap(Float32Array.from({ length: 10 }, (_, i) => i), { foregroundQuantile: 0.2, backgroundQuantile: 0.3 })).toThrow(InvalidInputError);
  });

  it('boxes, outlines and keeps the largest region of a hand-made mask', () => {
    // 8×6: a 3×2 block at (1,1) and a 2×2 block at (5,3) plus one diagonal neighbour at (7,5) (8-connected to it).
    const w = 8, h = 6;
    const data = new Uint8Array(w * h);
    const on = (x: number, y: number) => (data[y * w + x] = 1);
    for (const [x, y] of [[1, 1], [2, 1], [3, 1], [1, 2], [2, 2], [3, 2], [5, 3], [6, 3], [5, 4], [6, 4], [7, 5]] as const) on(x, y);
    const mask = { width: w, height: h, data };
    expect(maskBox(mask)).toEqual({ x: 1, y: 1, width: 7, height: 5 });
    const big = largestComponent(mask);
    expect(big.data.reduce((a, b) => a + b, 0)).toBe(6); // the 3×2 block (6) beats 2×2 + 1 diagonal (5)
    expect(maskBox(big)).toEqual({ x: 1, y: 1, width: 3, height: 2 });
    const edge = outline({ width: 5, height: 5, data: Uint8Array.from({ length: 25 }, () => 1) });
    expect(edge.data.reduce((a, b) => a + b, 0)).toBe(16); // the 5×5 square's border, not its 3×3 inside
    expect(boxIoU({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150, 10);
    expect(boxInPicture({ x: 10, y: 20, width: 112, height: 56 }, { x: 0, y: 0, width: 448, height: 224 }, { width: 224, height: 224 })).toEqual({ x: 20, y: 20, width: 224, height: 56 });
  });
});

describe('GrabCut (OpenCV)', () => {
  it('recovers a disc from a few seeds and deletes every Mat it makes', async () => {
    const cv = await loadOpenCv();
    const w = 64, h = 64, cx = 30, cy = 34, r = 16;
    const image: RgbaImage = { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) };
    const disc = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
        disc[i] = inside ? 1 : 0;
        // Reddish disc on a bluish background, both with a little texture.
        const n = ((x * 7 + y * 13) % 9) * 3;
        image.data.set(inside ? [200 + n, 60 + n, 40] : [40, 70 + n, 190 + n], 4 * i);
        image.data[4 * i + 3] = 255;
      }
    }
    // Seeds: 4 pixels at the centre are object, a square well beyond the disc "probably object", the image corners
    // background, everything else "probably background": GrabCut must carve the disc out of the square by colour.
    const seed = new Uint8Array(w * h).fill(GC.PR_BGD);
    for (let y = cy - 22; y <= cy + 22; y++) for (let x = cx - 22; x <= cx + 22; x++) seed[y * w + x] = GC.PR_FGD;
    for (const [x, y] of [[cx, cy], [cx + 1, cy], [cx, cy + 1], [cx + 1, cy + 1]] as const) seed[y * w + x] = GC.FGD;
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) seed[y * w + x] = seed[(h - 1 - y) * w + (w - 1 - x)] = GC.BGD;
    const before = matCounts();
    const labels = grabCutWithOpenCv(cv, image, seed, SEGMENT_DEFAULTS.iterations);
    const after = matCounts();
    const fg = Uint8Array.from(labels, (l) => (l === GC.FGD || l === GC.PR_FGD ? 1 : 0));
    let inter = 0, union = 0;
    for (let i = 0; i < fg.length; i++) {
      inter += fg[i]! & disc[i]!;
      union += fg[i]! | disc[i]!;
    }
    expect(inter / union, `IoU with the disc`).toBeGreaterThan(0.95);
    expect(after.created - before.created).toBeGreaterThan(0);
    expect(after.deleted - before.deleted).toBe(after.created - before.created);
  });
});

describe('segment: Grad-CAM seeds GrabCut on real photos (lite model)', () => {
  it('boxes the one clear object with IoU ≥ 0.5 against a hand-drawn box, disposing every tensor', async () => {
    const model = await net('lite');
    await loadOpenCv();
    for (const [name, truth] of Object.entries(OBJECTS)) {
      const picture = await readPicture(imagePath(name));
      const before = tf.memory().numTensors;
      const mats = matCounts();
      const input = imageToModelInput(picture.image);
      const result = await segment(model, input, { grabCut: openCvGrabCut });
      input.tensor.dispose();
      expect(tf.memory().numTensors, name).toBe(before);
      const m = matCounts();
      expect(m.deleted - mats.deleted, name).toBe(m.created - mats.created);
      expect(result.method).toBe(SEGMENT_DEFAULTS.method);
      const box = boxInPicture(result.box!, input.crop, result.mask);
      const iou = boxIoU(box, truth);
      console.info(`segment ${name}: box ${JSON.stringify(box)} IoU ${iou.toFixed(2)}, ${(result.foregroundFraction * 100).toFixed(1)} % of the frame; ${result.method} ${result.ms.attribution.toFixed(0)} ms, GrabCut ${result.ms.grabCut.toFixed(0)} ms`);
      expect(iou, name).toBeGreaterThanOrEqual(0.5);
      // The object is a part of the frame, not all of it, and its mask lies inside its box.
      expect(result.foregroundFraction).toBeGreaterThan(0.05);
      expect(result.foregroundFraction).toBeLessThan(0.9);
    }
  }, 240_000);

  it('runs as the worker job, and a cancel after the map stops it without leaking tensors', async () => {
    const model = await net('lite');
    const image = (await readPicture(imagePath('coffee.png'))).image;
    const ctx: JobContext = { net: model, extractor: undefined as never, gallery: async () => [], addToGallery: async () => '', toRgba: (i) => i as RgbaImage, grabCut: openCvGrabCut };
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const done = (await runJob(ctx, { kind: 'segment', image, classIndex: 'top' }, { signal: new AbortController().signal, onProgress: (d, t) => progress.push(d / t), setPerturbation: () => undefined })) as SegmentJobResult;
    expect(done.kind).toBe('segment');
    expect(done.mask.data.length).toBe(224 * 224);
    expect(done.box).not.toBeNull();
    expect(progress.at(-1)).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    const controller = new AbortController();
    const run = runJob(ctx, { kind: 'segment', image, classIndex: 'top' }, { signal: controller.signal, onProgress: (d) => d >= 1 && controller.abort(), setPerturbation: () => undefined });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});

describe('segment CLI', () => {
  it('writes the cut-out and reports box, fraction and mask as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'convlens-segment-'));
    const out = join(dir, 'cutout.png');
    const run = await runCli('segment', imagePath('coffee.png'), '--model', 'lite', '--out', out, '--json');
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { box: Box; foregroundFraction: number; mask: { width: number; height: number; data: number[] } };
    expect(boxIoU(doc.box, OBJECTS['coffee.png']!)).toBeGreaterThanOrEqual(0.5);
    expect(doc.mask.data).toHaveLength(doc.mask.width * doc.mask.height);
    const ones = doc.mask.data.filter((v) => v === 1).length;
    expect(ones / doc.mask.data.length).toBeCloseTo(doc.foregroundFraction, 3);
    // The PNG: the photo's size, transparent outside the object, opaque inside it.
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([600, 400]);
    const alpha = (x: number, y: number) => png.data[(y * png.width + x) * 4 + 3]!;
    expect(alpha(5, 5)).toBe(0);
    let opaque = 0;
    for (let i = 0; i < png.width * png.height; i++) if (png.data[i * 4 + 3] === 255) opaque++;
    expect(opaque / (png.width * png.height)).toBeCloseTo(doc.foregroundFraction, 1);
  }, 180_000);

  it('says in one line what is wrong with bad input', async () => {
    const cases = [
      [['segment', imagePath('coffee.png'), '--model', 'lite', '--method', 'magic'], /unknown method 'magic'/],
      [['segment', join(tmpdir(), 'no-such-picture.png'), '--model', 'lite'], /no such file|not found|cannot read/i],
      [['segment', imagePath('LICENSES.md'), '--model', 'lite'], /not a PNG or JPEG|not an image|unsupported|cannot decode/i],
    ] as const;
    const runs = await Promise.all(cases.map(([args]) => runCli(...args)));
    expectOneLineFailures(cases, runs);
  }, 120_000);
});
