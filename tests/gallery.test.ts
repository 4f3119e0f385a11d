import * as tf from '@tensorflow/tfjs';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InvalidInputError } from '../src/core/errors';
import { resampleImage } from '../src/core/gallery/draw';
import { MemoryFeatureCache } from '../src/core/gallery/feature-cache';
import { FeatureExtractor, modelKey } from '../src/core/gallery/features';
import { type GalleryEntry, type SkippedImage, entryFromImage, pixelContentId } from '../src/core/gallery/gallery';
import { compareNeighbours, findNeighbours } from '../src/core/gallery/neighbours';
import type { RgbaImage } from '../src/core/preprocess';
import { DiskFeatureCache } from '../src/node/disk-feature-cache';
import { GalleryStore, bundledGalleryDir, collectEntries, fileEntry, readGalleryDir } from '../src/node/gallery-files';
import { loadModel } from '../src/node/model-files';
import { imagePath, net, sharedImage } from './helpers';

const temp = mkdtempSync(join(tmpdir(), 'convlens-gallery-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A mirrored copy with 10 % cut from each side: different pixels, same subject. */
function flippedCrop(image: RgbaImage): RgbaImage {
  const x0 = Math.round(image.width * 0.1);
  const y0 = Math.round(image.height * 0.1);
  const width = image.width - 2 * x0;
  const height = image.height - 2 * y0;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = ((y + y0) * image.width + (image.width - 1 - x0 - x)) * 4;
      data.set(image.data.subarray(src, src + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

describe('the bundled gallery', () => {
  it('holds the shared CC0 images with their licence file, identified by content', async () => {
    const skipped: SkippedImage[] = [];
    const entries = await readGalleryDir(bundledGalleryDir(), (s) => skipped.push(s));
    expect(entries.map((e) => e.name.split('/').pop())).toEqual(['astronaut.png', 'camera.png', 'chelsea.png', 'clock_motion.png', 'coffee.png', 'motorcycle_left.png', 'rocket.jpg']);
    expect(skipped).toEqual([]); // LICENSES.md is documentation, not a broken image
    expect(readFileSync(join(bundledGalleryDir(), 'LICENSES.md'), 'utf8')).toMatch(/CC0/);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    // Same bytes elsewhere, same id.
    expect((await fileEntry(imagePath('coffee.png'))).id).toBe(entries.find((e) => e.name.endsWith('coffee.png'))!.id);
  });
});

describe('feature extraction with a cache', () => {
  it('batches images, and a second run hits the cache without any forward pass', async () => {
    const model = await net('lite');
    const entries = await readGalleryDir(bundledGalleryDir());
    const cache = new DiskFeatureCache(join(temp, 'cache-a'));
    const first = new FeatureExtractor(model, { cache, batchSize: 4 });
    const run = vi.spyOn(model, 'run');
    try {
      const a = await first.features(entries);
      expect(a.vectors).toHaveLength(7);
      expect(a.vectors[0]).toHaveLength(256);
      expect(run).toHaveBeenCalledTimes(2); // 7 images in batches of 4
      expect(first.stats).toEqual({ cached: 0, computed: 7, skipped: 0, forwardPasses: 2 });

      run.mockClear();
      // A new extractor over the same folder, as a second CLI run would have.
      const second = new FeatureExtractor(model, { cache: new DiskFeatureCache(join(temp, 'cache-a')) });
      const b = await second.features(entries);
      expect(run).not.toHaveBeenCalled();
      expect(second.stats).toEqual({ cached: 7, computed: 0, skipped: 0, forwardPasses: 0 });
      expect(b.vectors).toEqual(a.vectors);
    } finally {
      run.mockRestore();
    }
  });

  it('gathers the cache misses of a partly cached gallery into full batches, keeping gallery order', async () => {
    const model = await net('lite');
    const entries = await readGalleryDir(bundledGalleryDir());
    const cache = new MemoryFeatureCache();
    await new FeatureExtractor(model, { cache }).features([entries[0]!, entries[2]!, entries[4]!]);
    const extractor = new FeatureExtractor(model, { cache, batchSize: 4 });
    const progress: number[] = [];
    const set = await extractor.features(entries, { onProgress: (done) => progress.push(done) });
    expect(extractor.stats).toEqual({ cached: 3, computed: 4, skipped: 0, forwardPasses: 1 });
    expect(set.entries.map((e) => e.id)).toEqual(entries.map((e) => e.id));
    expect(progress.at(-1)).toBe(7);
    const alone = await new FeatureExtractor(model).features([entries[5]!]);
    alone.vectors[0]!.forEach((x, j) => expect(x).toBeCloseTo(set.vectors[5]![j]!, 4));
  });

  it('computes the same features batched as one image at a time', async () => {
    const model = await net('lite');
    const entries = (await readGalleryDir(bundledGalleryDir())).slice(0, 3);
    const batched = await new FeatureExtractor(model, { batchSize: 3 }).features(entries);
    const single = await new FeatureExtractor(model, { batchSize: 1 }).features(entries);
    batched.vectors.forEach((v, i) => v.forEach((x, j) => expect(x).toBeCloseTo(single.vectors[i]![j]!, 4)));
  });

  it('a transient entry (a live camera frame) is never written to or read from the cache', async () => {
    const model = await net('lite');
    const cache = new MemoryFeatureCache();
    const extractor = new FeatureExtractor(model, { cache });
    const frame = { ...(await entryFromImage('this frame', sharedImage('coffee.png'))), transient: true };
    const first = await extractor.features([frame]);
    expect(cache.size).toBe(0);
    const kept = await entryFromImage('coffee', sharedImage('coffee.png'));
    expect(kept.id).toBe(frame.id);
    await extractor.features([kept]);
    expect(cache.size).toBe(1);
    await extractor.features([frame]);
    expect(extractor.stats).toMatchObject({ computed: 3, cached: 0 });
    expect(first.vectors[0]!.length).toBe(model.layer(model.featuresLayer).outputShape.at(-1));
  });

  it('never returns stale features: a changed image or a changed model misses the cache', async () => {
    const model = await net('lite');
    const cache = new MemoryFeatureCache();
    const extractor = new FeatureExtractor(model, { cache });
    const image = sharedImage('chelsea.png');
    const original = await entryFromImage('chelsea', image);
    await extractor.features([original]);
    const edited = { ...image, data: Uint8ClampedArray.from(image.data) };
    edited.data[0] = (edited.data[0]! + 1) % 256;
    const changed = await entryFromImage('chelsea-edited', edited);
    expect(changed.id).not.toBe(original.id);
    expect(await pixelContentId(image)).toBe(original.id);
    await extractor.features([changed]);
    expect(extractor.stats).toMatchObject({ computed: 2, cached: 0 });

    // The same architecture with one weight changed gets another key, so its cache entries are separate.
    const other = await loadModel('lite');
    try {
      const [first] = other.reference.weights;
      const values = first!.read().arraySync() as number[][][][];
      values[0]![0]![0]![0]! += 0.5;
      const changedWeights = tf.tensor(values);
      first!.write(changedWeights);
      changedWeights.dispose();
      expect(await modelKey(other)).not.toBe(await modelKey(model));
      const otherExtractor = new FeatureExtractor(other, { cache });
      await otherExtractor.features([original]);
      expect(otherExtractor.stats).toMatchObject({ computed: 1, cached: 0 });
    } finally {
      other.dispose();
    }
    expect(await modelKey(model)).toBe(await modelKey(model));
  });

  it('skips corrupt and non-image files with one message each and goes on', async () => {
    const dir = join(temp, 'mixed');
    mkdirSync(dir);
    copyFileSync(imagePath('coffee.png'), join(dir, 'a-coffee.png'));
    copyFileSync(imagePath('rocket.jpg'), join(dir, 'b-rocket.jpg'));
    writeFileSync(join(dir, 'c-notes.txt'), 'not a picture\n');
    writeFileSync(join(dir, 'd-truncated.png'), readFileSync(imagePath('chelsea.png')).subarray(0, 2000));
    writeFileSync(join(dir, 'e-garbage.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(500, 7)]));
    copyFileSync(imagePath('coffee.png'), join(dir, 'f-coffee-again.png'));
    writeFileSync(join(dir, 'LICENSE.txt'), 'CC0\n');
    const skipped: SkippedImage[] = [];
    const onSkip = (s: SkippedImage): void => {
      skipped.push(s);
    };
    const entries = await readGalleryDir(dir, onSkip);
    expect(entries.map((e) => e.name.split('/').pop())).toEqual(['a-coffee.png', 'b-rocket.jpg', 'd-truncated.png', 'e-garbage.jpg']);
    const extractor = new FeatureExtractor(await net('lite'), { cache: new MemoryFeatureCache() });
    const set = await extractor.features(entries, { onSkip });
    expect(set.entries.map((e) => e.name.split('/').pop())).toEqual(['a-coffee.png', 'b-rocket.jpg']);
    expect(set.vectors.every((v) => v.length === 256 && v.some((x) => x > 0))).toBe(true);
    const byFile = Object.fromEntries(skipped.map((s) => [s.name.split('/').pop(), s.reason]));
    expect(Object.keys(byFile).sort()).toEqual(['c-notes.txt', 'd-truncated.png', 'e-garbage.jpg', 'f-coffee-again.png']);
    expect(byFile['c-notes.txt']).toMatch(/not a PNG or JPEG/);
    expect(byFile['d-truncated.png']).toMatch(/cannot decode/);
    expect(byFile['f-coffee-again.png']).toMatch(/same content as .*a-coffee\.png/);
    expect(skipped.every((s) => !s.reason.includes('\n'))).toBe(true);
    expect(extractor.stats.skipped).toBe(2);
  });

  it('reports a missing directory and a file given as a directory', async () => {
    await expect(readGalleryDir(join(temp, 'nope'))).rejects.toThrow(/no such directory/);
    await expect(readGalleryDir(imagePath('coffee.png'))).rejects.toThrow(/is not a directory/);
    await expect(collectEntries([join(temp, 'nope.png')])).rejects.toThrow(InvalidInputError);
    // A named file that is not an image is skipped like one in a folder; the rest goes on.
    const notes = join(temp, 'notes.md');
    writeFileSync(notes, '# notes\n');
    const skipped: SkippedImage[] = [];
    const entries = await collectEntries([notes, imagePath('coffee.png')], (s) => skipped.push(s));
    expect(entries.map((e) => e.path)).toEqual([imagePath('coffee.png')]);
    expect(skipped).toEqual([{ name: notes, reason: 'not a PNG or JPEG image' }]);
  });
});

describe('nearest neighbours', () => {
  it('a flipped, cropped copy finds its original first in feature space (L2 and cosine)', async () => {
    const model = await net('lite');
    const gallery = await readGalleryDir(bundledGalleryDir());
    const extractor = new FeatureExtractor(model, { cache: new MemoryFeatureCache() });
    for (const name of ['chelsea.png', 'motorcycle_left.png', 'coffee.png']) {
      const query = await entryFromImage(`flipped ${name}`, flippedCrop(sharedImage(name)));
      for (const metric of ['l2', 'cosine'] as const) {
        const result = await findNeighbours(extractor, query, gallery, { k: 3, metric });
        expect(result.neighbours[0]!.entry.name, `${name} by ${metric}`).toMatch(new RegExp(`${name}$`));
        expect(result.neighbours.map((n) => n.distance)).toEqual([...result.neighbours.map((n) => n.distance)].sort((a, b) => a - b));
      }
    }
  });

  it('excludes the query from its own neighbours and compares the three views side by side', async () => {
    const model = await net('lite');
    const gallery = await readGalleryDir(bundledGalleryDir());
    const extractor = new FeatureExtractor(model, { cache: new MemoryFeatureCache() });
    const query = gallery.find((e) => e.name.endsWith('camera.png'))!;
    const views = await compareNeighbours(extractor, query, gallery, { k: 10 });
    expect(views.map((v) => `${v.space}/${v.metric}`)).toEqual(['feature/l2', 'feature/cosine', 'pixel/l2']);
    for (const view of views) {
      expect(view.neighbours).toHaveLength(6);
      expect(view.neighbours.some((n) => n.entry.id === query.id)).toBe(false);
      expect(view.neighbours.every((n) => n.distance > 0)).toBe(true);
    }
    // Pixel space matches colour and layout: a half-size copy is nearly identical there.
    const small = await entryFromImage('small chelsea', resampleImage(sharedImage('chelsea.png'), 225, 150));
    const pixel = await findNeighbours(extractor, small, gallery, { k: 1, space: 'pixel' });
    expect(pixel.neighbours[0]!.entry.name).toMatch(/chelsea\.png$/);
    expect(pixel.neighbours[0]!.distance).toBeLessThan(1);
  });

  it('fails clearly when the query cannot be read', async () => {
    const broken: GalleryEntry = { id: 'x', name: 'broken.png', decode: () => Promise.reject(new InvalidInputError('cannot decode broken.png: bad')) };
    const extractor = new FeatureExtractor(await net('lite'));
    await expect(findNeighbours(extractor, broken, [])).rejects.toThrow(/cannot read the query image broken.png/);
  });
});

describe('the gallery store', () => {
  it('adds images once (content-addressed), lists and removes them', async () => {
    const store = new GalleryStore(join(temp, 'store-cache'));
    expect(await store.list()).toEqual([]);
    const files = await collectEntries([imagePath('coffee.png'), imagePath('rocket.jpg')]);
    const first = await store.add(files);
    expect(first.added.map((a) => a.name)).toEqual(['coffee.png', 'rocket.jpg']);
    const again = await store.add(await collectEntries([imagePath('coffee.png')]));
    expect(again.added).toEqual([]);
    expect(again.present.map((p) => p.id)).toEqual([files[0]!.id]);
    const entries = await store.entries();
    expect(entries.map((e) => e.id)).toEqual(files.map((f) => f.id));
    const removed = await store.remove([files[1]!.id.slice(0, 8)]);
    expect(removed.map((r) => r.name)).toEqual(['rocket.jpg']);
    expect((await store.list()).map((s) => s.name)).toEqual(['coffee.png']);
    await expect(store.remove(['nothing-like-this'])).rejects.toThrow(/no added gallery image/);
  });
});
