import { activationGrid, activationMaps, type ActivationMaps } from '../../core/activations';
import type { ModelId } from '../../core/models';
import { writePng } from '../../node/image-io';
import { type CliCommand, choiceOption, stringOption } from '../command';
import { FIT_OPTION, loadImage } from '../shared/inputs';
import { layerOption } from '../shared/layers';

/** The core's ActivationMaps without the raw data: layer, shape and per-channel statistics. */
export interface ActivationsResult extends Pick<ActivationMaps, 'layer' | 'shape' | 'channels'> {
  model: ModelId | string;
}

export const activations: CliCommand<ActivationsResult> = {
  summary: "a layer's activation maps as a channel grid, with per-channel statistics",
  usage: 'IMAGE --layer NAME [--out grid.png] [--scale channel|layer]',
  options: { layer: { type: 'string' }, out: { type: 'string' }, scale: { type: 'string' }, ...FIT_OPTION },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const scaleBy = choiceOption(ctx.values, 'scale', ['channel', 'layer'] as const, 'channel');
    const net = await ctx.net();
    const layer = layerOption(net, ctx.values, 'layer', 'activations');
    const img = await loadImage(ctx, ctx.positionals[0]!);
    try {
      const maps = await activationMaps(net, img.input, layer);
      const out = stringOption(ctx.values, 'out');
      if (out) writePng(out, activationGrid(maps, { scaleBy }));
      return { model: ctx.model, layer, shape: maps.shape, channels: maps.channels };
    } finally {
      img.input.dispose();
    }
  },
  text(r) {
    const dead = r.channels.filter((c) => c.max <= 0).length;
    return `${r.layer}: [${r.shape.join(', ')}], ${r.channels.length - dead} active channels, ${dead} silent`;
  },
};
