import { kernelTiles, rgbFilterTiles } from '../../core/filters';
import { checkLayerFor } from '../../core/layer-uses';
import type { ModelId } from '../../core/models';
import { writePng } from '../../node/image-io';
import { type CliCommand, requireString, stringOption } from '../command';

export interface FiltersResult {
  model: ModelId | string;
  layer: string;
  /** The kernel's shape as trained: [kh, kw, in, out], or [kh, kw, channels, multiplier] for depthwise layers. */
  kernelShape: number[];
  out: string;
}

export const filters: CliCommand<FiltersResult> = {
  summary: 'draw learned filters: the first conv layer in colour, any other conv layer in grayscale',
  usage: '[--layer NAME] --out tiles.png',
  options: { layer: { type: 'string' }, out: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const out = requireString(ctx.values, 'out');
    const net = await ctx.net();
    const layer = stringOption(ctx.values, 'layer') ?? net.convLayers()[0]!;
    checkLayerFor(net, layer, 'filters');
    const { kernel } = net.kernel(layer);
    const kernelShape = kernel.shape.slice();
    kernel.dispose();
    const picture = kernelShape[2] === 3 ? await rgbFilterTiles(net, layer) : await kernelTiles(net, layer);
    writePng(out, picture);
    return { model: ctx.model, layer, kernelShape, out };
  },
  text(r) {
    return `${r.layer} kernels [${r.kernelShape.join(', ')}] → ${r.out}`;
  },
};
