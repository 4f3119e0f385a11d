import { InvalidInputError } from './errors';
import type { RgbaImage } from './preprocess';
import type { ColormapName } from './render/colormap';
import { colorize, tileGrid, upscale } from './render/image';

/** Activation maps as plain arrays: statistics and pictures, free of TensorFlow.js so the page can use them. */

export interface ChannelStats {
  mean: number;
  max: number;
  /** Share of positions where the channel is active (> 0), a quick "dead or alive" reading. */
  active: number;
}

/** One image's activations at one layer, HWC order, copied off the backend. */
export interface ActivationMaps {
  layer: string;
  shape: [number, number, number];
  data: Float32Array;
  channels: ChannelStats[];
}

export function channelStats(data: Float32Array, [h, w, c]: readonly [number, number, number]): ChannelStats[] {
  const sum = new Float64Array(c);
  const max = new Float64Array(c).fill(-Infinity);
  const active = new Float64Array(c);
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < c; k++) {
      const v = data[p * c + k]!;
      sum[k] = sum[k]! + v;
      if (v > max[k]!) max[k] = v;
      if (v > 0) active[k] = active[k]! + 1;
    }
  }
  return Array.from({ length: c }, (_, k) => ({ mean: sum[k]! / (h * w), max: max[k]!, active: active[k]! / (h * w) }));
}

/** One channel as an h×w map scaled to [0, 1]: by its own maximum ('channel') or by the layer's ('layer'). */
export function channelMap(maps: ActivationMaps, channel: number, scaleBy: 'channel' | 'layer' = 'channel'): Float32Array {
  const [h, w, c] = maps.shape;
  if (!Number.isInteger(channel) || channel < 0 || channel >= c) {
    throw new InvalidInputError(`channel ${channel} is out of range 0..${c - 1} for layer '${maps.layer}'`);
  }
  const top = scaleBy === 'channel' ? maps.channels[channel]!.max : Math.max(...maps.channels.map((s) => s.max));
  const out = new Float32Array(h * w);
  if (!(top > 0)) return out;
  for (let p = 0; p < h * w; p++) out[p] = Math.max(0, maps.data[p * c + channel]!) / top;
  return out;
}

export interface ActivationGridOptions {
  /** 'channel' scales each map by its own maximum (shows every channel's pattern); 'layer' by the layer's. */
  scaleBy?: 'channel' | 'layer';
  colormap?: ColormapName;
  columns?: number;
  /** Nearest-neighbour magnification of each tile (small late-layer maps are 7×7). */
  tileScale?: number;
  /** Show only these channels (default all). */
  channels?: readonly number[];
}

/** All channels of a layer as a grid of small heatmaps, the lecture's "activation grid". */
export function activationGrid(maps: ActivationMaps, options: ActivationGridOptions = {}): RgbaImage {
  const [h, w, c] = maps.shape;
  const { scaleBy = 'channel', colormap = 'gray', columns } = options;
  const tileScale = options.tileScale ?? Math.max(1, Math.floor(56 / Math.max(h, w)));
  const which = options.channels ?? Array.from({ length: c }, (_, k) => k);
  const tiles = which.map((k) => upscale(colorize({ width: w, height: h, data: channelMap(maps, k, scaleBy) }, colormap), tileScale));
  return tileGrid(tiles, { columns: columns ?? Math.ceil(Math.sqrt(which.length)) });
}
