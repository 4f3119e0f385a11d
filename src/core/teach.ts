import * as tf from '@tensorflow/tfjs';
import { throwIfAborted, yieldToEventLoop } from './cancel';
import { InvalidInputError } from './errors';
import { permutation, seededRandom } from './random';
import type { ConvNet, HeadLayer } from './network';

export { TEACH_LIMITS, checkClassNames } from './teach-classes';

/**
 * Teach mode (issue 12): a visitor's own classes, learned in seconds on top of the bundled network. As Teachable
 * Machine does (transfer learning, Yosinski et al. 2014 "How transferable are features in deep neural networks?"),
 * the network's pooled features of the captured examples are computed once and a small head — Dense(hidden, ReLU)
 * then Dense(classes), Teachable Machine's shape — is trained on them with Adam on the softmax cross-entropy; the
 * result is a ConvNet (ConvNet.withHead) whose logits are the visitor's classes, so every view explains it.
 */

/** Teach mode's defaults, declared once (the worker's teach job, the CLI and the tests read them). */
export const TEACH_DEFAULTS = Object.freeze({
  /** Passes over the examples. */
  epochs: 40,
  /** Adam's step size. */
  learningRate: 0.001,
  /** Units of the hidden Dense layer (Teachable Machine uses 100); 0 trains one linear layer. */
  hiddenUnits: 100,
  /** Examples per optimisation step. */
  batchSize: 16,
  /** Seeds the weight initialisation and the order of the examples each epoch. */
  seed: 0,
});

/** Options of `teach`: TEACH_DEFAULTS' settings, cancellation and progress. */
export interface TeachOptions {
  epochs?: number;
  learningRate?: number;
  hiddenUnits?: number;
  batchSize?: number;
  seed?: number;
  /** Cancels between epochs; teach then rejects with an AbortError (nothing is left allocated). */
  signal?: AbortSignal;
  /** After each epoch: epochs done, of how many, and that epoch's mean training loss (nats). */
  onProgress?: (epoch: number, epochs: number, loss: number) => void;
}

/** What `teach` returns: the taught network (the caller disposes it, before the network it came from) and figures. */
export interface TaughtClassifier {
  /** The network with the visitor's head: numClasses = classes.length, labels = the class names. */
  net: ConvNet;
  /** Mean softmax cross-entropy of the last epoch, nats. */
  loss: number;
  /** Share of the training examples the taught head classifies right, 0–1. */
  trainAccuracy: number;
  /** Examples per class, in class order. */
  counts: number[];
  /** Wall time of feature extraction and training, ms. */
  ms: number;
}

/**
 * The pooled features (ConvNet.featuresLayer) of a batch of model inputs [N, S, S, 3] in model space, [N, D], in
 * one forward pass (on the forward twin when the network has one). The caller disposes the result.
 */
export function featuresOf(net: ConvNet, inputs: tf.Tensor4D): tf.Tensor2D {
  return net.run(inputs, { features: true }).features!;
}

/**
 * Trains a head for `classes` (2 or more names) on examples of them: `inputs` [N, S, S, 3] model inputs and `labels`
 * (N class indices). Returns the taught network and its training figures. Throws InvalidInputError for fewer than
 * 2 classes, a class without examples, labels out of range or a count that differs from the inputs; rejects with
 * an AbortError when `signal` aborts (between epochs). Every tensor it made is disposed (the inputs stay the caller's).
 */
export async function teach(net: ConvNet, inputs: tf.Tensor4D, labels: readonly number[], classes: readonly string[], options: TeachOptions = {}): Promise<TaughtClassifier> {
  const t0 = performance.now();
  checkExamples(labels, inputs.shape[0], classes);
  throwIfAborted(options.signal);
  const features = featuresOf(net, inputs);
  try {
    const taught = await teachFromFeatures(net, features, labels, classes, options);
    return { ...taught, ms: performance.now() - t0 };
  } finally {
    features.dispose();
  }
}

/** The checks `teach` and `teachFromFeatures` make (InvalidInputError, one line); returns the examples per class. */
function checkExamples(labels: readonly number[], examples: number, classes: readonly string[]): number[] {
  const k = classes.length;
  if (k < 2) throw new InvalidInputError(`teaching needs at least 2 classes, got ${k}`);
  if (labels.length !== examples) throw new InvalidInputError(`${labels.length} labels for ${examples} examples`);
  const bad = labels.find((l) => !Number.isInteger(l) || l < 0 || l >= k);
  if (bad !== undefined) throw new InvalidInputError(`label ${bad} is out of range 0..${k - 1}`);
  const counts = classes.map((_, c) => labels.filter((l) => l === c).length);
  const empty = counts.findIndex((n) => n === 0);
  if (empty >= 0) throw new InvalidInputError(`class '${classes[empty]}' has no examples: capture at least one`);
  return counts;
}

/**
 * `teach` on features computed already: `features` [N, D] (featuresOf, row i the example of class `labels[i]`), as
 * the app's Teach mode keeps them, one row per captured frame. Same checks, result and cancellation as `teach`
 * (`ms` is the training time alone); `features` stays the caller's.
 */
export async function teachFromFeatures(net: ConvNet, features: tf.Tensor2D, labels: readonly number[], classes: readonly string[], options: TeachOptions = {}): Promise<TaughtClassifier> {
  const t0 = performance.now();
  const o = { ...TEACH_DEFAULTS, ...options };
  const k = classes.length;
  const counts = checkExamples(labels, features.shape[0], classes);
  if (!(o.epochs >= 1 && Number.isInteger(o.epochs))) throw new InvalidInputError(`epochs must be a whole number ≥ 1, got ${o.epochs}`);
  throwIfAborted(options.signal);

  const dim = features.shape[1];
  const init = (i: number): tf.serialization.Serializable => tf.initializers.glorotUniform({ seed: o.seed + i });
  const layers =
    o.hiddenUnits > 0
      ? [
          tf.layers.dense({ inputShape: [dim], units: o.hiddenUnits, activation: 'relu', kernelInitializer: init(1) as never }),
          tf.layers.dense({ units: k, kernelInitializer: init(2) as never }),
        ]
      : [tf.layers.dense({ inputShape: [dim], units: k, kernelInitializer: init(1) as never })];
  const model = tf.sequential({ layers });
  const optimizer = tf.train.adam(o.learningRate);
  const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d([...labels], 'int32'), k).toFloat() as tf.Tensor2D);
  let loss = NaN;
  try {
    const n = labels.length;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      throwIfAborted(options.signal);
      const order = permutation(n, seededRandom(o.seed * 7919 + epoch));
      let total = 0;
      for (let start = 0; start < n; start += o.batchSize) {
        const index = tf.tensor1d(order.slice(start, start + o.batchSize), 'int32');
        const x = tf.gather(features, index);
        const y = tf.gather(onehot, index);
        const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)!;
        total += (await cost.data())[0]! * index.shape[0];
        tf.dispose([index, x, y, cost]);
      }
      loss = total / n;
      options.onProgress?.(epoch + 1, o.epochs, loss);
      await yieldToEventLoop(); // let a cancel message in
    }
    const head: HeadLayer[] = model.layers.map((layer, i) => {
      const [kernel, bias] = layer.getWeights();
      return { kernel: kernel as tf.Tensor2D, bias: bias as tf.Tensor1D, activation: i === model.layers.length - 1 ? 'linear' : 'relu' };
    });
    const taught = net.withHead(head, classes);
    const predicted = tf.tidy(() => tf.argMax(model.apply(features) as tf.Tensor, 1).dataSync());
    const right = labels.filter((l, i) => predicted[i] === l).length;
    return { net: taught, loss, trainAccuracy: right / labels.length, counts, ms: performance.now() - t0 };
  } finally {
    onehot.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
