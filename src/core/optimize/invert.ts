import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import type { ConvNet } from '../network';
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
