import type { ModelId } from '../../core/models';
import { type Inversion, invertFeatures } from '../../core/optimize/invert';
import { modelInputToImage } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, stringOption } from '../command';
import { FIT_OPTION, loadImage } from '../shared/inputs';
import { layerOption } from '../shared/layers';
import { PRESET_OPTIONS, presetOptions } from '../shared/presets';

/** The core's Inversion without the image tensor and the per-step values. */
export interface InvertResult extends Pick<Inversion, 'layer' | 'distance' | 'startDistance' | 'preset' | 'steps'> {
  model: ModelId | string;
  ms: number;
  out?: string;
}

export const invert: CliCommand<InvertResult> = {
  summary: "feature inversion: an image whose features at a layer match IMAGE's",
  usage: 'IMAGE --layer NAME [--preset l2|yosinski|lucid-lite|lucid] [--yosinski-row 1..4] [--steps N] [--seed S] [--init zeros|noise] [--out img.png]',
  options: { layer: { type: 'string' }, ...PRESET_OPTIONS, ...FIT_OPTION },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const options = presetOptions(ctx, 'yosinski');
    const out = stringOption(ctx.values, 'out');
    const net = await ctx.net();
    const layer = layerOption(net, ctx.values, 'layer', 'inversion');
    const img = await loadImage(ctx, ctx.positionals[0]!);
    try {
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
  text(r) {
    return `${r.layer}: feature distance ${r.startDistance.toFixed(3)} → ${r.distance.toFixed(3)} in ${r.steps} steps (${r.preset}, ${r.ms} ms)${r.out ? ` → ${r.out}` : ''}`;
  },
};
