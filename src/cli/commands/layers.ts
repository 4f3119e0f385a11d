import type { CliCommand } from '../command';

interface LayersResult {
  model: string;
  layers: { name: string; className: string; outputShape: number[] }[];
}

export const layers: CliCommand = {
  summary: 'list the layers with their output shapes',
  usage: '',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx): Promise<LayersResult> {
    const net = await ctx.net();
    return { model: ctx.model, layers: net.layers.map(({ name, className, outputShape }) => ({ name, className, outputShape })) };
  },
  text(result) {
    const r = result as LayersResult;
    return r.layers.map((l) => `${l.name.padEnd(28)} ${l.className.padEnd(24)} [${l.outputShape.join(', ')}]`).join('\n');
  },
};
