import { classify as classifyInput, type Prediction } from '../../core/classify';
import type { CropRect } from '../../core/preprocess';
import { type CliCommand, numberOption } from '../command';
import { FIT_OPTION, loadImage } from '../inputs';

interface ClassifyResult {
  model: string;
  crop: CropRect;
  predictions: Prediction[];
}

export const classify: CliCommand = {
  summary: 'top-k ImageNet classes of an image',
  usage: 'IMAGE [--top K] [--fit stretch|center-crop]',
  options: { top: { type: 'string' }, ...FIT_OPTION },
  positionals: { min: 1, max: 1 },
  async run(ctx): Promise<ClassifyResult> {
    const k = numberOption(ctx.values, 'top', 5, { min: 1, max: 1000, integer: true });
    const img = loadImage(ctx, ctx.positionals[0]!);
    try {
      const net = await ctx.net();
      return { model: ctx.model, crop: img.crop, predictions: await classifyInput(net, img.input, k) };
    } finally {
      img.input.dispose();
    }
  },
  text(result) {
    const r = result as ClassifyResult;
    return r.predictions.map((p) => `${(p.probability * 100).toFixed(1).padStart(5)}%  ${p.label} (${p.index})`).join('\n');
  },
};
