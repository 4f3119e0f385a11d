import { ATTRIBUTION_METHOD_NAMES } from '../../core/attribution';
import { type Prediction, classify } from '../../core/classify';
import { openCvGrabCut } from '../../node/opencv';
import { type Box, SEGMENT_DEFAULTS, boxInPicture, checkSegmentMethod, cutout, segment } from '../../core/segment';
import type { ModelId } from '../../core/models';
import type { CropRect } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, numberOption, stringOption } from '../command';
import { FIT_OPTION, loadImage } from '../shared/inputs';
import { classIndexOption } from '../shared/target';

/**
 * `segment`'s JSON: the object's box in the picture's pixels (and in the model input's), the share of the model
 * input it covers, and the mask itself (1 = object) over the crop the model saw, at model-input resolution.
 */
export interface SegmentCliResult {
  method: string;
  model: ModelId | string;
  target: Prediction;
  /** The object's box in the picture's pixels; null when GrabCut kept nothing. */
  box: Box | null;
  /** The same box in model-input pixels (of the map's width × height). */
  modelBox: Box | null;
  /** Share of the model input that the object covers, [0, 1]. */
  foregroundFraction: number;
  /** 0/1 per model-input pixel, row-major, covering `crop` of the picture. */
  mask: { width: number; height: number; crop: CropRect; data: number[] };
  /** Time of the attribution map and of GrabCut (OpenCV, after it is loaded), ms. */
  ms: { attribution: number; grabCut: number };
}

export const segmentCommand: CliCommand<SegmentCliResult> = {
  summary: 'cut the object out: its saliency map seeds GrabCut (Simonyan et al. 2014; OpenCV)',
  usage:
    `IMAGE [--method ${ATTRIBUTION_METHOD_NAMES.join('|')} (${SEGMENT_DEFAULTS.method})] [--target INDEX|top] ` +
    `[--iterations N (${SEGMENT_DEFAULTS.iterations})] [--out cutout.png (the object on transparency)] [--fit stretch|center-crop]`,
  options: {
    method: { type: 'string' },
    target: { type: 'string' },
    iterations: { type: 'string' },
    out: { type: 'string' },
    ...FIT_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const v = ctx.values;
    const method = checkSegmentMethod(stringOption(v, 'method') ?? SEGMENT_DEFAULTS.method);
    const classTarget = classIndexOption(v, 'target', { allowTop: true }) ?? 'top';
    const iterations = numberOption(v, 'iterations', SEGMENT_DEFAULTS.iterations, { min: 1, max: 50, integer: true });
    const net = await ctx.net();
    const img = await loadImage(ctx, ctx.positionals[0]!);
    try {
      const all = await classify(net, img.input, net.numClasses);
      const chosen = classTarget === 'top' ? all[0]! : all.find((p) => p.index === classTarget)!;
      const result = await segment(net, { tensor: img.input, crop: img.crop }, {
        grabCut: openCvGrabCut,
        method,
        target: { kind: 'class', index: chosen.index },
        iterations,
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress(`segment: ${['saliency map', 'seeding', 'GrabCut', 'done'][Math.min(3, Math.floor(done))]} (${Math.round((100 * done) / total)}%)`),
      });
      const out = stringOption(v, 'out');
      if (out) writePng(out, cutout(img.image, img.imageCrop, result.mask));
      const size = { width: result.mask.width, height: result.mask.height };
      return {
        method,
        model: ctx.model,
        target: chosen,
        box: result.box ? boxInPicture(result.box, img.crop, size) : null,
        modelBox: result.box ?? null,
        foregroundFraction: Number(result.foregroundFraction.toFixed(4)),
        mask: { ...size, crop: img.crop, data: Array.from(result.mask.data) },
        ms: { attribution: Math.round(result.ms.attribution), grabCut: Math.round(result.ms.grabCut) },
      };
    } finally {
      img.input.dispose();
    }
  },
  text(r) {
    const box = r.box ? `box x=${r.box.x} y=${r.box.y} ${r.box.width}×${r.box.height}` : 'no object kept';
    return `${r.target.label} (${r.target.index}): ${box}, ${(r.foregroundFraction * 100).toFixed(1)} % of the frame (${r.method} ${r.ms.attribution} ms, GrabCut ${r.ms.grabCut} ms)`;
  },
};
