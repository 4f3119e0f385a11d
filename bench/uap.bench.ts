/**
 * Universal perturbation benchmark (Node, tfjs CPU backend): on the default gallery's held-out split
 * (UAP_HELD_OUT_SHARE per galleryStratum, seed 0) it trains with the stochastic method (the app's default) and with
 * Moosavi-Dezfooli's algorithm (the reference, with the quick gradient attack or DeepFool), and prints the fooling
 * rate on the training pictures and on the held-out pictures, the training time, and the held-out rate of a
 * random ±ε sign pattern (the baseline any perturbation has to beat). Prints figures; asserts nothing.
 *
 *   npm run bench:uap -- [--model lite|standard] [--steps N] [--method sgd|gradient|deepfool|all]
 */
import * as tf from '@tensorflow/tfjs';
import { galleryStratum } from '../src/core/gallery/gallery';
import { deepFoolAttack, gradientAttack } from '../src/core/optimize/attacks';
import { UAP_GALLERY_JOB, UAP_SGD_DEFAULTS } from '../src/core/optimize/defaults';
import { type HeldOutUapOptions, batchedFoolingRate, heldOutSplit, heldOutUniversalPerturbation, randomSignPerturbation } from '../src/core/optimize/uap-sgd';
import { imageToModelInput } from '../src/core/preprocess';
import { appGalleryEntries } from '../src/node/gallery-files';
import { loadModel } from '../src/node/model-files';
import { argValue, intArg, modelsFromArgs, setupBackend, table } from './harness';

await setupBackend();
const entries = await appGalleryEntries();
const decoded = await Promise.all(entries.map((e) => e.decode()));
const steps = intArg('--steps', UAP_SGD_DEFAULTS.steps, 1);
const method = argValue('--method') ?? 'all';
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const rows: (string | number)[][] = [['model', 'method', 'train pictures', 'held-out', 'train rate', 'held-out rate', 'train s']];
for (const model of modelsFromArgs()) {
  const net = await loadModel(model);
  const pictures = entries.map((e, i) => ({ name: e.name, input: imageToModelInput(decoded[i]!, 'stretch', net.inputSize).tensor }));
  const split = heldOutSplit(pictures.length, { share: 0.3, seed: 0, stratum: (i) => galleryStratum(pictures[i]!.name) });
  const noise = randomSignPerturbation(net.inputSize, UAP_SGD_DEFAULTS.eps, 1);
  const noiseHeld = await batchedFoolingRate(net, split.heldOut.map((i) => pictures[i]!.input), noise);
  const noiseTrain = await batchedFoolingRate(net, split.train.map((i) => pictures[i]!.input), noise);
  noise.dispose();
  rows.push([model, `random sign ±${UAP_SGD_DEFAULTS.eps}`, split.train.length, split.heldOut.length, pct(noiseTrain), pct(noiseHeld), 0]);
  console.log(table(rows));
  const run = async (name: string, options: HeldOutUapOptions) => {
    const r = await heldOutUniversalPerturbation(net, pictures, {
      stratum: galleryStratum,
      ...options,
      onProgress: (p) => p.step % 10 === 0 && console.error(`${model} ${name}: ${p.step}/${p.steps}`),
    });
    r.perturbation.dispose();
    rows.push([model, name, r.train.length, r.heldOut.length, pct(r.foolingRate), pct(r.heldOutRate), Math.round(r.trainMs / 1000)]);
    console.log(table(rows));
  };
  if (method === 'sgd' || method === 'all') await run(`sgd ${steps}×${UAP_SGD_DEFAULTS.batchSize} augmented`, { steps });
  if (method === 'sgd-plain' || method === 'all') await run(`sgd ${steps}×${UAP_SGD_DEFAULTS.batchSize} no augmentation`, { steps, augment: false });
  if (method === 'gradient' || method === 'all') {
    await run(`moosavi+gradient ${UAP_GALLERY_JOB.maxPasses} passes`, { method: 'moosavi', maxPasses: UAP_GALLERY_JOB.maxPasses, attack: gradientAttack({ stepSize: UAP_GALLERY_JOB.stepSize, maxSteps: UAP_GALLERY_JOB.maxSteps }) });
  }
  if (method === 'deepfool' || method === 'all') await run('moosavi+deepfool 1 pass', { method: 'moosavi', maxPasses: 1, attack: deepFoolAttack() });
  tf.dispose(pictures.map((p) => p.input));
  net.dispose();
}
