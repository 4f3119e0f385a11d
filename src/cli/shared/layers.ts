import { type LayerUse, checkLayerFor } from '../../core/layer-uses';
import type { ConvNet } from '../../core/network';
import { requireString } from '../command';
import type { OptionValues } from '../command';

/** --NAME (required) checked against what `use` needs (src/core/layer-uses.ts): one line naming the layers that qualify. */
export function layerOption(net: ConvNet, values: OptionValues, name: string, use: LayerUse): string {
  const layer = requireString(values, name);
  checkLayerFor(net, layer, use);
  return layer;
}
