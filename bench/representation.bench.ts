/**
 * Representation benchmark (Node, tfjs CPU backend): feature extraction (batched vs one image per pass, cold vs
 * cached in memory and on disk), PCA / t-SNE / UMAP on synthetic vectors, and top patches per 100 images (cold
 * and with the layer cached). Prints figures; asserts nothing (tests check correctness).
 * Usage: npx tsx bench/representation.bench.ts [--model lite|standard] [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resampleImage } from '../src/core/gallery/draw';
import { MemoryFeatureCache } from '../src/core/gallery/feature-cache';
import { FeatureExtractor } from '../src/core/gallery/features';
import { type GalleryEntry, entryFromImage } from '../src/core/gallery/gallery';
import { pca } from '../src/core/gallery/pca';
import { tsne, umap } from '../src/core/gallery/tsne';
import { seededRandom } from '../src/core/random';
import { topPatches } from '../src/core/gallery/top-patches';
import type { RgbaImage } from '../src/core/preprocess';
import { DiskFeatureCache } from '../src/node/disk-feature-cache';
import { bundledGalleryDir, readGalleryDir } from '../src/node/gallery-files';
import { loadModel } from '../src/node/model-files';
import { modelsFromArgs, setupBackend, table } from './harness';

await setupBackend();
const quick = process.argv.includes('--quick');

/** n distinct pictures: random crops (50–100 % of each side) of the bundled images, some mirrored, 320×240. */
async function syntheticGallery(n: number, seed: number): Promise<GalleryEntry[]> {
  const random = seededRandom(seed);
  const sources: RgbaImage[] = [];
  for (const entry of await readGalleryDir(bundledGalleryDir())) sources.push(await entry.decode());
  const entries: GalleryEntry[] = [];
  for (let i = 0; i < n; i++) {
    const src = sources[i % sources.length]!;
    const w = src.width * (0.5 + random() / 2);
    const h = src.height * (0.5 + random() / 2);
    const rect = { x: random() * (src.width - w), y: random() * (src.height - h), width: w, height: h };
    const image = resampleImage(src, 320, 240, rect);
    if (random() < 0.5) {
      for (let y = 0; y < image.height; y++) {
        const row = image.data.subarray(y * image.width * 4, (y + 1) * image.width * 4);
        for (let x = 0; x < image.width / 2; x++) {
          const a = row.slice(x * 4, x * 4 + 4);
          row.copyWithin(x * 4, (image.width - 1 - x) * 4, (image.width - x) * 4);
          row.set(a, (image.width - 1 - x) * 4);
        }
      }
    }
    entries.push(await entryFromImage(`synthetic-${i}`, image));
  }
  return entries;
}

async function seconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

// --- Feature extraction.
const images = quick ? 16 : 48;
const gallery = await syntheticGallery(images, 1);
const extractionRows: (string | number)[][] = [['model', 'mode', 'images', 'seconds', 'images/s']];
for (const id of modelsFromArgs()) {
  const net = await loadModel(id);
  await new FeatureExtractor(net, { batchSize: 8 }).features(gallery.slice(0, 8)); // warm-up (kernels, model key)
  for (const batchSize of [1, 8]) {
    const s = await seconds(() => new FeatureExtractor(net, { batchSize }).features(gallery));
    extractionRows.push([id, `network, batch ${batchSize}`, images, round(s), round(images / s, 1)]);
  }
  const memory = new MemoryFeatureCache();
  await new FeatureExtractor(net, { cache: memory }).features(gallery);
  const sMem = await seconds(() => new FeatureExtractor(net, { cache: memory }).features(gallery));
  extractionRows.push([id, 'memory cache hit', images, round(sMem, 3), round(images / sMem, 0)]);
  const dir = mkdtempSync(join(tmpdir(), 'convlens-bench-'));
  try {
    await new FeatureExtractor(net, { cache: new DiskFeatureCache(dir) }).features(gallery);
    const sDisk = await seconds(() => new FeatureExtractor(net, { cache: new DiskFeatureCache(dir) }).features(gallery));
    extractionRows.push([id, 'disk cache hit', images, round(sDisk, 3), round(images / sDisk, 0)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  net.dispose();
}
console.log('Feature extraction (pooled features; synthetic 320×240 images)\n');
console.log(table(extractionRows));

// --- 2-D maps of synthetic feature vectors (10 clusters in 256-d, like the lite model's pooled features).
function vectors(n: number, dim: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const centres = Array.from({ length: 10 }, () => Float32Array.from({ length: dim }, () => random() * 6));
  return Array.from({ length: n }, (_, i) => Float32Array.from(centres[i % 10]!, (c) => Math.max(0, c + (random() - 0.5) * 2)));
}
const mapRows: (string | number)[][] = [['method', 'points', 'dim', 'seconds']];
for (const n of quick ? [100] : [100, 1000]) {
  const rows = vectors(n, 256, n);
  mapRows.push(['PCA (exact, 2 components)', n, 256, round(await seconds(() => pca(rows, 2)), 3)]);
  mapRows.push(['t-SNE (1000 iterations)', n, 256, round(await seconds(() => tsne(rows, { seed: 1, iterations: 1000 })))]);
  mapRows.push(['UMAP (umap-js defaults)', n, 256, round(await seconds(() => umap(rows, { seed: 1 })))]);
}
if (!quick) {
  const wide = vectors(1000, 768, 7);
  mapRows.push(['PCA (exact, 2 components)', 1000, 768, round(await seconds(() => pca(wide, 2)), 3)]);
}
console.log('\n2-D maps (synthetic vectors)\n');
console.log(table(mapRows));

// --- Top patches per 100 images.
const patchImages = quick ? 20 : 100;
const patchGallery = await syntheticGallery(patchImages, 2);
const patchRows: (string | number)[][] = [['model', 'layer', 'mode', 'images', 'seconds', 's per 100 images']];
for (const id of modelsFromArgs()) {
  const net = await loadModel(id);
  for (const layer of ['conv_pw_6_relu', 'conv_pw_13_relu']) {
    const cache = new MemoryFeatureCache();
    const extractor = new FeatureExtractor(net, { cache });
    const cold = await seconds(() => topPatches(extractor, patchGallery, { layer, channel: 3, k: 9 }));
    const warm = await seconds(() => topPatches(extractor, patchGallery, { layer, channel: 4, k: 9 }));
    patchRows.push([id, layer, 'network', patchImages, round(cold), round((cold * 100) / patchImages)]);
    patchRows.push([id, layer, 'cached layer, other channel', patchImages, round(warm, 3), round((warm * 100) / patchImages, 3)]);
  }
  net.dispose();
}
console.log('\nTop patches (k = 9, with 96² tiles)\n');
console.log(table(patchRows));
