import { kernelTiles, rgbFilterTiles } from '../../core/filters';
import { writePng } from '../../node/image-io';
import { type CliCommand, requireString, stringOption } from '../command';

interface FiltersResult {
  model: string;
  layer: string;
  kernelShape: number[];
  out: string;
}

export const filters: CliCommand = {
  summary: 'draw learned filters: the first conv layer in colour, any other conv layer in grayscale',
  usage: '[--layer NAME] --out tiles.png',
  options: { layer: { type: 'string' }, out: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(ctx): Promise<FiltersResult> {
    const out = requireString(ctx.values, 'out');
    const net = await ctx.net();
    const layer = stringOption(ctx.values, 'layer') ?? net.convLayers()[0]!;
    const { kernel } = net.kernel(layer);
    const kernelShape = kernel.shape.slice();
    kernel.dispose();
    const picture = kernelShape[2] === 3 ? await rgbFilterTiles(net, layer) : await kernelTiles(net, layer);
    writePng(out, picture);
    return { model: ctx.model, layer, kernelShape, out };
  },
  text(result) {
    const r = result as FiltersResult;
    return `${r.layer} kernels [${r.kernelShape.join(', ')}] → ${r.out}`;
  },
};
