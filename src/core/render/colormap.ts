import { rgb } from 'd3-color';
import { interpolateInferno, interpolateMagma, interpolateTurbo, interpolateViridis } from 'd3-scale-chromatic';

/**
 * The palettes maps can be drawn in: the perceptual ones of d3-scale-chromatic (inferno, viridis, magma, turbo) and
 * 'gray' (black to white); used by overlay, colorize and the CLI's --colormap.
 */
export const COLORMAPS = ['inferno', 'viridis', 'magma', 'turbo', 'gray'] as const;
/** One of COLORMAPS. */
export type ColormapName = (typeof COLORMAPS)[number];

const interpolators: Record<Exclude<ColormapName, 'gray'>, (t: number) => string> = {
  inferno: interpolateInferno,
  viridis: interpolateViridis,
  magma: interpolateMagma,
  turbo: interpolateTurbo,
};

const luts = new Map<ColormapName, Uint8Array>();

/** 256-entry RGB lookup table for a perceptual palette from d3-scale-chromatic (built once, cached). */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = luts.get(name);
  if (lut) return lut;
  lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    if (name === 'gray') {
      lut.set([i, i, i], i * 3);
    } else {
      const c = rgb(interpolators[name](i / 255));
      lut.set([Math.round(c.r), Math.round(c.g), Math.round(c.b)], i * 3);
    }
  }
  luts.set(name, lut);
  return lut;
}

/** Index 0..255 for a value already normalised to [0, 1] (clamped). */
export function lutIndex(t: number): number {
  return Math.max(0, Math.min(255, Math.round(t * 255)));
}
