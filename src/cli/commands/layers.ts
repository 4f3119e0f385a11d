import type { ModelId } from '../../core/models';
import type { LayerInfo } from '../../core/network';
import type { CliCommand } from '../command';

/** Every layer of the model, as the core's LayerInfo (name, Keras class, output shape without the batch). */
export interface LayersResult {
  model: ModelId | string;
  layers: LayerInfo[];
}

export const layers: CliCommand<LayersResult> = {
  summary: 'list the layers with their output shapes',
  usage: '',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const net = await ctx.net();
    return { model: ctx.model, layers: net.layers.map(({ name, className, outputShape }) => ({ name, className, outputShape })) };
  },
  text(r) {
    return r.layers.map((l) => `${l.name.padEnd(28)} ${l.className.padEnd(24)} [${l.outputShape.join(', ')}]`).join('\n');
  },
};
