/**
 * Precomputes the default gallery's universal perturbation for both models (lite and standard) and writes
 * public/gallery/uap-<model>.json (uap.ts UapFile, whole pixel levels as int8: 200 kB of base64 each). The app's
 * "Universal perturbation" loads the file of the model in use on demand, so "apply" works at once; training one
 * in the browser ("more detail") takes minutes on the CPU backend.
 *
 * Split: heldOutSplit of the gallery's pictures (UAP_HELD_OUT_SHARE per galleryStratum, seed 0); training with
 * stochasticUniversalPerturbation on augmented views of the training pictures; both fooling rates measured with the
 * quantised file's values, the held-out rate next to that of a random-sign perturbation of the same ε.
 * Node, tfjs CPU backend. Usage: npm run gallery:uap [-- --model lite|standard] [--steps N]
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { galleryStratum } from '../src/core/gallery/gallery';
import { UAP_HELD_OUT_SHARE, UAP_PRECOMPUTED_STEPS } from '../src/core/optimize/defaults';
import { uapFromFile, uapToFile } from '../src/core/optimize/uap';
import { batchedFoolingRate, heldOutSplit, randomSignPerturbation, stochasticUniversalPerturbation } from '../src/core/optimize/uap-sgd';
import { imageToModelInput } from '../src/core/preprocess';
import { appGalleryEntries, bundledGalleryDir } from '../src/node/gallery-files';
import { loadModel } from '../src/node/model-files';
import { intArg, modelsFromArgs, setupBackend } from '../bench/harness';

await setupBackend();
const entries = await appGalleryEntries();
const decoded = await Promise.all(entries.map((e) => e.decode()));
const split = heldOutSplit(entries.length, { share: UAP_HELD_OUT_SHARE, seed: 0, stratum: (i) => galleryStratum(entries[i]!.name) });
for (const model of modelsFromArgs()) {
  const steps = intArg('--steps', UAP_PRECOMPUTED_STEPS[model], 1);
  const t0 = performance.now();
  const net = await loadModel(model);
  const train = split.train.map((i) => imageToModelInput(decoded[i]!, 'stretch', net.inputSize).tensor);
  const held = split.heldOut.map((i) => imageToModelInput(decoded[i]!, 'stretch', net.inputSize).tensor);
  const r = await stochasticUniversalPerturbation(net, train, {
    steps,
    onProgress: (p) => p.step % 10 === 0 && console.error(`gallery-uap: ${model} step ${p.step}/${p.steps} loss ${p.objective.toFixed(2)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`),
  });
  const trainS = (performance.now() - t0) / 1000;
  const draft = await uapToFile({ ...r, foolingRate: 0, passes: r.steps }, { model, seed: 0, quantize: true });
  r.perturbation.dispose();
  const { perturbation: v } = uapFromFile(draft, net.inputSize);
  const trainRate = await batchedFoolingRate(net, train, v);
  const heldOutRate = await batchedFoolingRate(net, held, v);
  const noise = randomSignPerturbation(net.inputSize, r.eps, 1);
  const noiseRate = await batchedFoolingRate(net, held, noise);
  noise.dispose();
  v.dispose();
  const file = { ...draft, foolingRate: trainRate, heldOutRate, heldOutImages: held.length, views: r.views };
  writeFileSync(join(bundledGalleryDir(), `uap-${model}.json`), `${JSON.stringify(file)}\n`);
  console.log(
    `gallery-uap: ${model}: ${steps} steps × ${r.views / steps} views of ${train.length} pictures in ${trainS.toFixed(0)} s; ` +
      `fooling rate ${(trainRate * 100).toFixed(1)} % training, ${(heldOutRate * 100).toFixed(1)} % on ${held.length} held-out pictures ` +
      `(random sign ±${r.eps}: ${(noiseRate * 100).toFixed(1)} %); ${((performance.now() - t0) / 1000).toFixed(0)} s in all`,
  );
  tf.dispose([...train, ...held]);
  net.dispose();
}
