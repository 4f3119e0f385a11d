import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Small layers models for the "any model" tests (issue 12), built in code with seeded weights: a residual network
 * and a branching one. saveModelFiles writes one as a converter would (model.json + one weight file).
 */

const SEED = 7;

/** Random but fixed weights, with batch-norm statistics far from identity so folding is exercised. */
export function randomise(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const isBn = layer.getClassName() === 'BatchNormalization';
    layer.setWeights(
      weights.map((w, k) =>
        tf.tidy(() => {
          s += 1;
          if (!isBn) return tf.mul(tf.randomNormal(w.shape, 0, 1, 'float32', s), Math.sqrt(2 / Math.max(1, w.shape.slice(0, -1).reduce((a, b) => a * b, 1))));
          // gamma, beta, moving mean, moving variance
          if (k === 3) return tf.randomUniform(w.shape, 0.5, 2, 'float32', s);
          if (k === 0) return tf.randomUniform(w.shape, 0.5, 1.5, 'float32', s);
          return tf.randomNormal(w.shape, 0, 0.3, 'float32', s);
        }),
      ),
    );
  }
}

/** Input → conv/BN/ReLU → residual block (Add) → max pool → depthwise/BN/ReLU6 → padding → separable → GAP → Dense softmax. */
export function residualModel(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, name: 'stem' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'stem_relu' }).apply(x) as tf.SymbolicTensor;
  let branch = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'res_a' }).apply(x) as tf.SymbolicTensor;
  branch = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'res_b' }).apply(branch) as tf.SymbolicTensor;
  x = tf.layers.add({ name: 'res_add' }).apply([x, branch]) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'res_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'dw' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'dw_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'dw_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.zeroPadding2d({ padding: [[1, 0], [1, 0]], name: 'pad' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.separableConv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu', name: 'sep' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.2, name: 'drop' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, activation: 'softmax', name: 'classes' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  randomise(model, SEED);
  return model;
}

/** Rescaling → conv → three branches (1×1 ReLU, 3×3 LeakyReLU, average pool) → Concatenate → sigmoid gate (Multiply) → Flatten → Dense → Softmax. */
export function branchingModel(): tf.LayersModel {
  const input = tf.input({ shape: [24, 24, 3], name: 'pixels' });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }).apply(input) as tf.SymbolicTensor;
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'b1' }).apply(x) as tf.SymbolicTensor;
  let b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b2' }).apply(x) as tf.SymbolicTensor;
  b = tf.layers.leakyReLU({ alpha: 0.1, name: 'b2_leaky' }).apply(b) as tf.SymbolicTensor;
  const c = tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'b3' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.concatenate({ name: 'cat' }).apply([a, b, c]) as tf.SymbolicTensor;
  const gate = tf.layers.conv2d({ filters: 14, kernelSize: 1, activation: 'sigmoid', name: 'gate' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.multiply({ name: 'gated' }).apply([x, gate]) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'swish', name: 'c2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flat' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 16, activation: 'tanh', name: 'hidden' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 4, name: 'scores' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.softmax({ name: 'probs' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  randomise(model, SEED + 100);
  return model;
}

/**
 * A small Teachable-Machine-shaped model: a Sequential whose first layer is a nested conv body (MobileNet-like
 * names: conv1, conv1_bn, conv1_relu, conv_dw_1, conv_dw_1_relu) and whose second is a head Sequential (global
 * average pooling, Dense softmax over 3 classes), 32 × 32 input, seeded weights.
 */
export function tmShapedModel(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'conv1' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv1_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'conv1_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'conv_dw_1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'conv_dw_1_relu' }).apply(x) as tf.SymbolicTensor;
  const body = tf.model({ inputs: input, outputs: x, name: 'model_body' });
  const head = tf.sequential({
    name: 'head',
    layers: [tf.layers.globalAveragePooling2d({ inputShape: [16, 16, 8], name: 'head_pool' }), tf.layers.dense({ units: 3, activation: 'softmax', name: 'dense_2' })],
  });
  const outer = tf.sequential({ name: 'tm_model' });
  outer.add(body);
  outer.add(head);
  randomise(body, 11);
  randomise(head, 12);
  return outer;
}

/** Writes `model` as model.json + weights.bin in `dir` (the layers format tensorflowjs_converter writes). */
export async function saveModelFiles(model: tf.LayersModel, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
      writeFileSync(join(dir, 'weights.bin'), weights);
      const json = { format: 'layers-model', generatedBy: 'convlens tests', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(dir, 'model.json');
}
