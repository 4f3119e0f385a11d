/**
 * Precomputes the pooled features of every picture in public/gallery/gallery.json with both models (lite and
 * standard) and writes public/gallery/features.json + features.bin (src/core/gallery/precomputed.ts: float16 rows
 * keyed by model fingerprint, layer and image content id). The browser's worker answers gallery feature lookups
 * from them first, so a first visit runs no forward pass for the bundled pictures.
 *
 * Runs on TensorFlow.js's WASM backend (XNNPACK) in Node, the forward engine the app uses on CPU kiosks. Rerun
 * after changing the pictures (scripts/make-gallery.mjs) or the models, and commit the two files; the test
 * tests/gallery-precomputed.test.ts fails while they are stale. Usage: npm run gallery:features
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureExtractor, modelKey } from '../src/core/gallery/features';
import { type PrecomputedRows, packPrecomputed } from '../src/core/gallery/precomputed';
import type { ModelId } from '../src/core/models';
import { appGalleryEntries, bundledGalleryDir } from '../src/node/gallery-files';
import { loadModel } from '../src/node/model-files';

const t0 = performance.now();
if (!(await tf.setBackend('wasm'))) throw new Error('the WASM backend did not start');
const entries = await appGalleryEntries();
const rows: PrecomputedRows[] = [];
for (const model of ['lite', 'standard'] as ModelId[]) {
  const net = await loadModel(model);
  const set = await new FeatureExtractor(net, { batchSize: 8 }).features(entries, {
    onSkip: (s) => {
      throw new Error(`${s.name}: ${s.reason}`);
    },
  });
  rows.push({ model, key: await modelKey(net), layer: set.layer, shape: net.layer(set.layer).outputShape, images: set.entries.map((e) => e.id), vectors: set.vectors });
  net.dispose();
  console.log(`gallery-features: ${model}: ${set.entries.length} pictures, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const { index, data } = packPrecomputed(rows);
const dir = bundledGalleryDir();
writeFileSync(join(dir, 'features.bin'), data);
writeFileSync(join(dir, 'features.json'), `${JSON.stringify(index)}\n`);
console.log(`gallery-features: wrote features.bin (${data.byteLength} bytes) and features.json in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
