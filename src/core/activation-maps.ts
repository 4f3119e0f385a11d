import { InvalidInputError } from './errors';
import type { RgbaImage } from './preprocess';
import type { ColormapName } from './render/colormap';
import { colorize, tileGrid, upscale } from './render/image';

/** Activation maps as plain arrays: statistics and pictures, free of TensorFlow.js so the page can use them. */

/**
 * Summary of one channel of one image's activations at a layer, over all h × w positions (computed by channelStats;
 * LiveFrame.activations carries them to the page).
 */
export interface ChannelStats {
  /** Mean activation over the h × w positions, in the layer's own units (after ReLU6: 0–6). */
  mean: number;
  /** Largest activation over the positions (−Infinity when h × w = 0); channelMap scales by it. */
  max: number;
  /** Share of positions where the channel is active (> 0), a quick "dead or alive" reading. */
  active: number;
}

/** One image's activations at one layer, HWC order, copied off the backend. */
export interface ActivationMaps {
  /** Name of the layer (as in ConvNet.layers, e.g. conv_pw_13_relu). */
  layer: string;
  /** [h, w, c]: the layer's spatial size and channel count for one image (batch dimension dropped). */
  shape: [number, number, number];
  /** h × w × c activations, HWC (channel fastest): value of channel k at (y, x) is data[(y·w + x)·c + k]. */
  data: Float32Array;
  /** channelStats(data, shape): one entry per channel, c in all. */
  channels: ChannelStats[];
}

/**
 * Per-channel mean, maximum and active share (v > 0) of HWC activations `data` of shape [h, w, c] (length h·w·c),
 * summed in double precision; returns c entries. Plain arrays, no tensors; it does not check that data.length =
 * h·w·c.
 */
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

/** Options of activationGrid: scaling, colours and layout of the grid of channel heatmaps. */
export interface ActivationGridOptions {
  /** 'channel' scales each map by its own maximum (shows every channel's pattern); 'layer' by the layer's. */
  scaleBy?: 'channel' | 'layer';
  /** Colour map of each tile (default 'gray'; see COLORMAPS). */
  colormap?: ColormapName;
  /** Tiles per row (default ⌈√(channels shown)⌉, a near-square grid). */
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
