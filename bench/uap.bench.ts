/**
 * Universal perturbation benchmark (Node, tfjs CPU backend): trains on the default gallery's training split and
 * reports the fooling rate on the training pictures and on the held-out pictures (never seen in training), with
 * the time taken, for the stochastic method (the app's default) and Moosavi-Dezfooli's reference algorithm.
 * Prints figures; asserts nothing.
 *
 *   npx tsx bench/uap.bench.ts [--model lite|standard] [--steps N] [--method sgd|deepfool|gradient|all]
 */
import * as tf from '@tensorflow/tfjs';
import { galleryStratum } from '../src/core/gallery/gallery';
import { foolingRate, universalPerturbation } from '../src/core/optimize/uap';
import { heldOutSplit, stochasticUniversalPerturbation } from '../src/core/optimize/uap-sgd';
import { UAP_HELD_OUT_SHARE, UAP_SGD_DEFAULTS } from '../src/core/optimize/defaults';
import { deepFoolAttack, gradientAttack } from '../src/core/optimize/attacks';
import { imageToModelInput } from '../src/core/preprocess';
import { appGalleryEntries } from '../src/node/gallery-files';
import { loadModel } from '../src/node/model-files';
import { argValue, intArg, modelsFromArgs, setupBackend, table } from './harness';

await setupBackend();
const entries = await appGalleryEntries();
const split = heldOutSplit(entries.length, { share: UAP_HELD_OUT_SHARE, seed: 0, stratum: (i) => galleryStratum(entries[i]!.name) });
const steps = intArg('--steps', UAP_SGD_DEFAULTS.steps, 1);
const method = argValue('--method') ?? 'sgd';
const decoded = await Promise.all(entries.map((e) => e.decode()));
const rows: (string | number)[][] = [['model', 'method', 'train pictures', 'held-out', 'train rate', 'held-out rate', 'held-out crop', 'seconds']];
for (const model of modelsFromArgs()) {
  const net = await loadModel(model);
  const train = split.train.map((i) => imageToModelInput(decoded[i]!, 'stretch', net.inputSize).tensor);
  const held = split.heldOut.map((i) => imageToModelInput(decoded[i]!, 'stretch', net.inputSize).tensor);
  const heldCrop = split.heldOut.map((i) => imageToModelInput(decoded[i]!, 'center-crop', net.inputSize).tensor);
  const run = async (name: string, make: () => Promise<tf.Tensor4D>) => {
    const t0 = performance.now();
    const v = await make();
    const s = (performance.now() - t0) / 1000;
    const tr = await foolingRate(net, train, v);
    const ho = await foolingRate(net, held, v);
    const hc = await foolingRate(net, heldCrop, v);
    v.dispose();
    rows.push([model, name, train.length, held.length, pct(tr.foolingRate), pct(ho.foolingRate), pct(hc.foolingRate), s.toFixed(0)]);
    console.log(table(rows));
  };
  if (method === 'sgd' || method === 'all') {
    await run(`sgd ${steps}×${UAP_SGD_DEFAULTS.batchSize}`, async () =>
      (await stochasticUniversalPerturbation(net, train, { steps, onProgress: (p) => p.step % 25 === 0 && console.error(`${model} step ${p.step}/${p.steps} loss ${p.objective.toFixed(2)}`) })).perturbation);
  }
  if (method === 'gradient' || method === 'all') {
    await run('moosavi+gradient 1 pass', async () => (await universalPerturbation(net, train, { maxPasses: 1, attack: gradientAttack({ stepSize: 1, maxSteps: 10 }) })).perturbation);
  }
  if (method === 'deepfool' || method === 'all') {
    await run('moosavi+deepfool 1 pass', async () => (await universalPerturbation(net, train, { maxPasses: 1, attack: deepFoolAttack() })).perturbation);
  }
  tf.dispose([...train, ...held, ...heldCrop]);
  net.dispose();
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}
