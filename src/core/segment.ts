/**
 * Segmentation without supervision (Simonyan, Vedaldi & Zisserman 2014, "Deep Inside Convolutional Networks", §3.2):
 * an attribution map of the top class seeds GrabCut (Rother, Kolmogorov & Blake 2004) — the most salient pixels are
 * confident foreground, the least salient confident background, the rest "probably" either — and GrabCut's colour
 * models and graph cut turn the scattered seeds into one object mask. This module is the pure, DOM-free part:
 * seeding, the mask's box, foreground fraction and outline, and the one `segment` function the CLI and the worker's
 * job share. GrabCut itself is OpenCV's (src/core/grabcut-opencv.ts), handed in as a `GrabCutRunner`, so this
 * file never loads OpenCV.
 */
import { type AttributionMethodName, ATTRIBUTION_METHOD_NAMES, isAttributionMethod, runAttribution } from './attribution';
import type { AttributionMap, TargetChoice } from './attribution/types';
import { throwIfAborted } from './cancel';
import { InvalidInputError } from './errors';
import type { ConvNet } from './network';
import { type ModelInput, type RgbaImage, modelInputToImage } from './preprocess';
import { type BinaryMask, type Box, type GrabCutRunner, SEGMENT_DEFAULTS, foregroundFraction, foregroundOf, largestComponent, maskBox, seedFromMap } from './segment-mask';

export * from './segment-mask';

/** A segmentation's settings: the seeding map's method and GrabCut's (SEGMENT_DEFAULTS unless given). */
export interface SegmentOptions {
  /** GrabCut (OpenCV's, src/core/grabcut-opencv.ts; in the browser, run in its own worker). */
  grabCut: GrabCutRunner;
  method?: string;
  /** The class whose map seeds the cut ('top' by default). */
  target?: TargetChoice;
  foregroundQuantile?: number;
  backgroundQuantile?: number;
  iterations?: number;
  signal?: AbortSignal | undefined;
  /**
   * Progress in three steps of work: 0 → the attribution map → the seeds → GrabCut done (done of total = 3); the
   * map's own progress is passed through scaled into the first step.
   */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** A segmentation of the model input (224×224 for MobileNet v1). */
export interface Segmentation {
  method: AttributionMethodName;
  /** The attribution map that seeded the cut (its `data` is the raw map, non-negative). */
  map: AttributionMap;
  /** The seed labels (GC values), width × height. */
  seed: Uint8Array;
  /** The object: the largest connected region of GrabCut's foreground (largestComponent), model-input pixels. */
  mask: BinaryMask;
  /** GrabCut's whole foreground, islands included, model-input pixels. */
  grabCutMask: BinaryMask;
  /** The object's tightest box in model-input pixels; undefined when GrabCut kept no foreground at all. */
  box: Box | undefined;
  /** Share of the model input that the object covers, [0, 1]. */
  foregroundFraction: number;
  /** The model input as RGBA pixels (what GrabCut saw; the cut-out is drawn from it). */
  image: RgbaImage;
  /** Time for the attribution map and for GrabCut, ms. */
  ms: { attribution: number; grabCut: number };
}

/** Checks a method name given from outside (CLI flag, job spec): InvalidInputError with the choices otherwise. */
export function checkSegmentMethod(method: string): AttributionMethodName {
  if (!isAttributionMethod(method)) throw new InvalidInputError(`unknown method '${method}' for segment: choose one of ${ATTRIBUTION_METHOD_NAMES.join(', ')}`);
  return method;
}

/**
 * Cuts the object out of the model input (Simonyan et al. 2014, §3.2): the attribution map of `target` (default
 * the top class) by `method` (default SEGMENT_DEFAULTS.method, the method's own settings at their declared
 * defaults) seeds GrabCut by quantiles (seedFromMap), GrabCut runs `iterations` times from that mask, and the
 * largest connected region of its foreground is the object (Simonyan et al. box it the same way). Disposes every tensor it makes (not `input`). Rejects with an AbortError when `signal`
 * aborts, InvalidInputError for an unknown method, bad quantiles or a flat map.
 */
export async function segment(net: ConvNet, input: ModelInput, options: SegmentOptions): Promise<Segmentation> {
  const method = checkSegmentMethod(options.method ?? SEGMENT_DEFAULTS.method);
  const iterations = options.iterations ?? SEGMENT_DEFAULTS.iterations;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 50) throw new InvalidInputError(`GrabCut iterations must be an integer in 1..50, got ${iterations}`);
  const progress = options.onProgress;
  progress?.(0, 3);
  const t0 = performance.now();
  const map = await runAttribution(method, net, input, {
    target: options.target ?? 'top',
    signal: options.signal,
    onProgress: progress ? (done, total) => progress(total > 0 ? Math.min(1, done / total) * 0.99 : 0, 3) : undefined,
  });
  const t1 = performance.now();
  progress?.(1, 3);
  const seed = seedFromMap(map.data, {
    ...(options.foregroundQuantile !== undefined ? { foregroundQuantile: options.foregroundQuantile } : {}),
    ...(options.backgroundQuantile !== undefined ? { backgroundQuantile: options.backgroundQuantile } : {}),
  });
  const image = await modelInputToImage(input.tensor);
  throwIfAborted(options.signal);
  progress?.(2, 3);
  const t2 = performance.now();
  const labels = await options.grabCut(image, seed, iterations, options.signal);
  const t3 = performance.now();
  throwIfAborted(options.signal);
  const grabCutMask = foregroundOf(labels, map.width, map.height);
  const mask = largestComponent(grabCutMask);
  progress?.(3, 3);
  return { method, map, seed, mask, grabCutMask, box: maskBox(mask), foregroundFraction: foregroundFraction(mask), image, ms: { attribution: t1 - t0, grabCut: t3 - t2 } };
}
