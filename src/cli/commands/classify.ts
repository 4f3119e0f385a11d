import { classify as classifyInput, type Prediction } from '../../core/classify';
import type { ModelId } from '../../core/models';
import type { CropRect } from '../../core/preprocess';
import { type CliCommand, numberOption } from '../command';
import { FIT_OPTION, loadImage } from '../shared/inputs';

/** The top-k predictions (core Prediction) and the crop the model saw, in the displayed picture's pixels. */
export interface ClassifyResult {
  model: ModelId | string;
  crop: CropRect;
  predictions: Prediction[];
}

export const classify: CliCommand<ClassifyResult> = {
  summary: 'top-k ImageNet classes of an image',
  usage: 'IMAGE [--top K] [--fit stretch|center-crop]',
  options: { top: { type: 'string' }, ...FIT_OPTION },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const k = numberOption(ctx.values, 'top', 5, { min: 1, max: 1000, integer: true });
    const img = await loadImage(ctx, ctx.positionals[0]!);
    try {
      const net = await ctx.net();
      return { model: ctx.model, crop: img.crop, predictions: await classifyInput(net, img.input, k) };
    } finally {
      img.input.dispose();
    }
  },
  text(r) {
    return r.predictions.map((p) => `${(p.probability * 100).toFixed(1).padStart(5)}%  ${p.label} (${p.index})`).join('\n');
  },
};
