/**
 * Core benchmark (Node, tfjs CPU backend): forward pass, input gradient and every attribution method per model,
 * the gradient/forward cost ratio, and one pass with taps against three separate calls. Prints figures; asserts
 * nothing (tests check correctness).
 */
import * as tf from '@tensorflow/tfjs';
import { ATTRIBUTION_METHODS } from '../src/core/attribution';
import { disposeTaps } from '../src/core/network';
import { imageToModelInput } from '../src/core/preprocess';
import { readImage } from '../src/node/image-io';
import { loadModel } from '../src/node/model-files';
import { medianMs, modelsFromArgs, setupBackend, table } from './harness';

await setupBackend();
const input = imageToModelInput(await readImage(new URL('../public/gallery/coffee.png', import.meta.url).pathname));
const target = { kind: 'class', index: 967 } as const;
const objective = (t: { logits?: tf.Tensor2D }): tf.Scalar => tf.sum(tf.slice(t.logits!, [0, 967], [1, 1]));

for (const id of modelsFromArgs()) {
  const net = await loadModel(id);
  const x = input.tensor;
  const heavy = id === 'standard' ? 1 : 3;
  const forward = await medianMs(async () => {
    const t = net.run(x, { logits: true });
    await t.logits!.data();
    disposeTaps(t);
  });
  const layersForward = await medianMs(async () => {
    const y = net.reference.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
  });
  const gradient = await medianMs(async () => {
    const g = net.gradient(x, { logits: true }, objective);
    await g.gradient.data();
    disposeTaps(g.taps);
    tf.dispose([g.gradient, g.value]);
  });
  // One pass with taps (activations of a layer + logits + saliency gradient) vs three separate calls.
  const layer = 'conv_pw_5_relu';
  const tapped = await medianMs(async () => {
    const g = net.gradient(x, { layers: [layer], logits: true }, objective);
    await Promise.all([g.gradient.data(), g.taps.activations[layer]!.data(), g.taps.logits!.data()]);
    disposeTaps(g.taps);
    tf.dispose([g.gradient, g.value]);
  });
  const separate = await medianMs(async () => {
    const a = net.run(x, { layers: [layer] });
    await a.activations[layer]!.data();
    disposeTaps(a);
    const l = net.run(x, { logits: true });
    await l.logits!.data();
    disposeTaps(l);
    const g = net.gradient(x, { logits: true }, objective);
    await g.gradient.data();
    disposeTaps(g.taps);
    tf.dispose([g.gradient, g.value]);
  });
  const batch16 = tf.tile(x, [16, 1, 1, 1]) as tf.Tensor4D;
  const forward16 = await medianMs(async () => {
    const t = net.run(batch16, { logits: true });
    await t.logits!.data();
    disposeTaps(t);
  }, 3);
  batch16.dispose();

  const rows: (string | number)[][] = [['measure', 'median ms']];
  rows.push(['forward (fused, folded BN)', Math.round(forward)]);
  rows.push(['forward (tfjs LayersModel)', Math.round(layersForward)]);
  rows.push(['forward per image, batch of 16', Math.round(forward16 / 16)]);
  rows.push(['input gradient (plain ops, folded BN)', Math.round(gradient)]);
  if (id === 'lite' || process.argv.includes('--reference')) {
    const logitsModel = tf.model({ inputs: net.reference.inputs, outputs: net.reference.getLayer('conv_preds').output as tf.SymbolicTensor });
    const reference = await medianMs(async () => {
      const g = tf.grad((v: tf.Tensor) => objective({ logits: (logitsModel.apply(v) as tf.Tensor).reshape([-1, 1000]) as tf.Tensor2D }))(x);
      await g.data();
      g.dispose();
    }, 1, 0);
    rows.push(['input gradient (tfjs LayersModel)', Math.round(reference)]);
  }
  rows.push(['one pass with taps (acts + logits + gradient)', Math.round(tapped)]);
  rows.push(['three separate calls', Math.round(separate)]);
  for (const [name, method] of Object.entries(ATTRIBUTION_METHODS)) {
    const runs = ['saliency', 'guided', 'gradcam'].includes(name) ? 5 : heavy;
    const ms = await medianMs(() => method(net, input, { target }), runs, name === 'saliency' ? 1 : 0);
    rows.push([`explain: ${name}`, Math.round(ms)]);
  }
  console.log(`\n== ${id} (${net.reference.name}), Node ${process.version}, tfjs ${tf.version.tfjs} ${tf.getBackend()} backend`);
  console.log(table(rows));
  console.log(`gradient / forward = ${(gradient / forward).toFixed(2)} (target ≤ 2.5)`);
  console.log(`one pass with taps / three separate calls = ${(tapped / separate).toFixed(2)} (target ≤ 0.6)`);
  console.log(`tensors alive after the run: ${tf.memory().numTensors}`);
  net.dispose();
}
input.tensor.dispose();
