import { activationGrid, activationMaps, type ChannelStats } from '../../core/activations';
import { type CliCommand, choiceOption, requireString, stringOption } from '../command';
import { writePng } from '../../node/image-io';
import { FIT_OPTION, loadImage } from '../inputs';

interface ActivationsResult {
  model: string;
  layer: string;
  shape: [number, number, number];
  channels: ChannelStats[];
}

export const activations: CliCommand = {
  summary: "a layer's activation maps as a channel grid, with per-channel statistics",
  usage: 'IMAGE --layer NAME [--out grid.png] [--scale channel|layer]',
  options: { layer: { type: 'string' }, out: { type: 'string' }, scale: { type: 'string' }, ...FIT_OPTION },
  positionals: { min: 1, max: 1 },
  async run(ctx): Promise<ActivationsResult> {
    const layer = requireString(ctx.values, 'layer');
    const scaleBy = choiceOption(ctx.values, 'scale', ['channel', 'layer'] as const, 'channel');
    const img = loadImage(ctx, ctx.positionals[0]!);
    try {
      const net = await ctx.net();
      const maps = await activationMaps(net, img.input, layer);
      const out = stringOption(ctx.values, 'out');
      if (out) writePng(out, activationGrid(maps, { scaleBy }));
      return { model: ctx.model, layer, shape: maps.shape, channels: maps.channels };
    } finally {
      img.input.dispose();
    }
  },
  text(result) {
    const r = result as ActivationsResult;
    const dead = r.channels.filter((c) => c.max <= 0).length;
    return `${r.layer}: [${r.shape.join(', ')}], ${r.channels.length - dead} active channels, ${dead} silent`;
  },
};
