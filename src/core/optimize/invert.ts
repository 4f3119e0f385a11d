import * as tf from '@tensorflow/tfjs';
import { throwIfAborted } from '../cancel';
import { InvalidInputError } from '../errors';
import { checkLayerFor } from '../layer-uses';
import type { ConvNet } from '../network';
import { INVERT_ROW_LAYERS, INVERT_ROW_PRESET } from './defaults';
import { featureDistance } from './objectives';
import { evaluate, runPreset, type VisualizationRun, type VisualizeOptions } from './visualize';

/**
 * Result of invertFeatures: the visualisation run (8-bit image, steps, values) plus the inverted layer and how close
 * the result's features came.
 */
export interface Inversion extends VisualizationRun {
  /** The layer whose features were matched. */
  layer: string;
  /** Relative squared feature distance ‖φ(x) − φ₀‖² / ‖φ₀‖² of the 8-bit result (0 = identical features). */
  distance: number;
  /** The same for the start image, to compare against. */
  startDistance: number;
}

/**
 * Feature inversion (Mahendran & Vedaldi 2015): from a neutral start, an image whose features at `layer` match
 * those of `image`. Early layers give back the photo almost exactly; deep ones keep what the network keeps.
 */
export async function invertFeatures(net: ConvNet, image: tf.Tensor4D, layer: string, options: VisualizeOptions = {}): Promise<Inversion> {
  net.layer(layer);
  if (image.shape[0] !== 1) throw new InvalidInputError('invert one image at a time');
  const taps = net.run(image, { layers: [layer] });
  const target = taps.activations[layer]!;
  try {
    const objective = featureDistance(net, layer, target);
    const run = await runPreset(net, objective, { preset: 'yosinski', ...options });
    const distance = -(await evaluate(net, objective, run.image));
    return { ...run, layer, distance, startDistance: run.values.length ? -run.values[0]! : distance };
  } finally {
    target.dispose();
  }
}

/** One reconstruction of invertRow: the inversion at one layer plus how much of the photo's pixels it kept. */
export interface RowInversion extends Inversion {
  /**
   * Pearson correlation of the reconstruction's pixels with the photo's, over all 224 × 224 × 3 values, in [−1, 1]
   * (1: the photo itself; 0: nothing of it; the grey start image has no variance and counts as 0).
   */
  pixelCorrelation: number;
  /** Time this layer's inversion took, ms. */
  ms: number;
}

/** Progress of invertRow after every step: which layer, its step, the work done over the whole row. */
export interface RowProgress {
  /** Layer being inverted and its index in the row (0-based). */
  layer: string;
  index: number;
  /** Step just taken at this layer, of `steps`. */
  step: number;
  steps: number;
  /** Steps done over the whole row, of `total` = layers × steps. */
  done: number;
  total: number;
  /** The current reconstruction (borrowed: valid during the call only; copy it to keep it). */
  image: tf.Tensor4D;
}

/** Options of invertRow: VisualizeOptions with a whole-row progress callback instead of the per-run one. */
export interface RowOptions extends Omit<VisualizeOptions, 'onProgress'> {
  onProgress?: (progress: RowProgress) => void;
}

/**
 * The layers of an inversion row for `net`, in network order: INVERT_ROW_LAYERS where the model has them all
 * (else five spatial layers spread evenly from the first to the last), plus `chosen` (the live layer) where it
 * is a spatial layer not already in the row. Layers the model lacks or that have no spatial map are left out.
 */
export function invertRowLayers(net: ConvNet, chosen?: string): string[] {
  const spatial = net.spatialLayers().map((l) => l.name);
  let row: string[] = INVERT_ROW_LAYERS.every((l) => spatial.includes(l)) ? [...INVERT_ROW_LAYERS] : [];
  if (row.length === 0 && spatial.length > 0) {
    const n = Math.min(5, spatial.length);
    row = [...new Set(Array.from({ length: n }, (_, i) => spatial[Math.round((i * (spatial.length - 1)) / Math.max(1, n - 1))]!))];
  }
  if (chosen !== undefined && spatial.includes(chosen) && !row.includes(chosen)) row.push(chosen);
  return row.sort((a, b) => spatial.indexOf(a) - spatial.indexOf(b));
}

/** Pearson correlation of two equally shaped tensors' values (0 when either is constant). */
async function correlation(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const r = tf.tidy(() => {
    const x = tf.sub(a, tf.mean(a));
    const y = tf.sub(b, tf.mean(b));
    const den = tf.sqrt(tf.mul(tf.sum(tf.square(x)), tf.sum(tf.square(y))));
    return tf.stack([tf.sum(tf.mul(x, y)), den]);
  });
  const [num, den] = await r.data();
  r.dispose();
  return den! > 1e-12 ? num! / den! : 0;
}

/**
 * Feature inversion of one image at several layers, shallow to deep (Mahendran & Vedaldi 2015, Fig. 6 — "what
 * each depth keeps"): invertFeatures at each layer from the same grey start with the same options, and each
 * reconstruction's pixel correlation with the photo. Layers are inverted in the order given; progress counts steps
 * over the whole row; the preset is INVERT_ROW_PRESET unless given. Throws InvalidInputError for an empty list or a layer without a spatial map (via
 * invertFeatures' checks), UnknownLayerError for a name the model lacks, AbortError when cancelled — then every
 * reconstruction made so far is disposed. The caller disposes the returned images.
 */
export async function invertRow(net: ConvNet, image: tf.Tensor4D, layers: readonly string[], options: RowOptions = {}): Promise<RowInversion[]> {
  if (layers.length === 0) throw new InvalidInputError('name at least one layer to invert');
  for (const layer of layers) checkLayerFor(net, layer, 'inversion');
  const { onProgress, ...rest } = options;
  const row: RowInversion[] = [];
  try {
    for (const [index, layer] of layers.entries()) {
      throwIfAborted(options.signal);
      const t0 = performance.now();
      const r = await invertFeatures(net, image, layer, {
        preset: INVERT_ROW_PRESET,
        ...rest,
        onProgress: (p) => onProgress?.({ layer, index, step: p.step, steps: p.steps, done: index * p.steps + p.step, total: layers.length * p.steps, image: p.image }),
      });
      const inversion: RowInversion = { ...r, pixelCorrelation: 0, ms: 0 };
      row.push(inversion);
      inversion.pixelCorrelation = await correlation(r.image, image);
      inversion.ms = performance.now() - t0;
    }
    return row;
  } catch (err) {
    tf.dispose(row.map((r) => r.image));
    throw err;
  }
}
