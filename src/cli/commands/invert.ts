import { invertFeatures } from '../../core/optimize/invert';
import { modelInputToImage } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, requireString, stringOption } from '../command';
import { FIT_OPTION, loadImage } from '../inputs';
import { PRESET_OPTIONS, presetOptions } from './visualize';

interface InvertResult {
  model: string;
  layer: string;
  /** Relative squared feature distance of the result (0 = same features as IMAGE). */
  distance: number;
  startDistance: number;
  preset: string;
  steps: number;
  ms: number;
  out?: string;
}

export const invert: CliCommand = {
  summary: "feature inversion: an image whose features at a layer match IMAGE's",
  usage: 'IMAGE --layer NAME [--preset l2|yosinski|lucid-lite] [--yosinski-row 1..4] [--steps N] [--seed S] [--init zeros|noise] [--out img.png]',
  options: { layer: { type: 'string' }, ...PRESET_OPTIONS, ...FIT_OPTION },
  positionals: { min: 1, max: 1 },
  async run(ctx): Promise<InvertResult> {
    const layer = requireString(ctx.values, 'layer');
    const options = presetOptions(ctx, 'yosinski');
    const out = stringOption(ctx.values, 'out');
    const img = loadImage(ctx, ctx.positionals[0]!);
    try {
      const net = await ctx.net();
      const t0 = performance.now();
      const r = await invertFeatures(net, img.input, layer, options);
      try {
        const ms = Math.round(performance.now() - t0);
        if (out) writePng(out, await modelInputToImage(r.image));
        return { model: ctx.model, layer, distance: r.distance, startDistance: r.startDistance, preset: r.preset, steps: r.steps, ms, out };
      } finally {
        r.image.dispose();
      }
    } finally {
      img.input.dispose();
    }
  },
  text(result) {
    const r = result as InvertResult;
    return `${r.layer}: feature distance ${r.startDistance.toFixed(3)} → ${r.distance.toFixed(3)} in ${r.steps} steps (${r.preset}, ${r.ms} ms)${r.out ? ` → ${r.out}` : ''}`;
  },
};
