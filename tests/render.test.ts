import { rgb } from 'd3-color';
import { interpolateInferno } from 'd3-scale-chromatic';
import { describe, expect, it } from 'vitest';
import { colormapLut } from '../src/core/render/colormap';
import { blankImage, colorize, normaliseMap, overlay, resizeMap, tileGrid, upscale } from '../src/core/render/image';

describe('rendering helpers', () => {
  it('colormap tables follow the d3 palette end to end', () => {
    const lut = colormapLut('inferno');
    for (const i of [0, 128, 255]) {
      const c = rgb(interpolateInferno(i / 255));
      expect([lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2]]).toEqual([Math.round(c.r), Math.round(c.g), Math.round(c.b)]);
    }
    expect(Array.from(colormapLut('gray').subarray(300, 303))).toEqual([100, 100, 100]);
  });

  it('normaliseMap scales to [0, 1], clipping at a percentile', () => {
    const values = Float32Array.from({ length: 101 }, (_, i) => i); // 0..100
    expect(Array.from(normaliseMap(values)).slice(0, 3)).toEqual([0, 0.01, 0.02].map(Math.fround));
    const clipped = normaliseMap(values, { percentile: 50 });
    expect(clipped[25]).toBeCloseTo(0.5, 6);
    expect(clipped[100]).toBe(1);
    expect(Array.from(normaliseMap(new Float32Array(4)))).toEqual([0, 0, 0, 0]);
  });

  it('overlay leaves pixels with a zero map untouched and colours hot pixels only inside the rect', () => {
    const base = blankImage(4, 2, [10, 20, 30, 255]);
    const map = { width: 2, height: 2, data: Float32Array.from([0, 0, 0, 0]) };
    expect(overlay(base, map).data).toEqual(base.data);
    const hot = { width: 1, height: 1, data: Float32Array.from([1]) };
    const out = overlay(base, hot, { rect: { x: 2, y: 0, width: 2, height: 2 }, alpha: 1, colormap: 'gray' });
    expect(Array.from(out.data.subarray(0, 4))).toEqual([10, 20, 30, 255]); // outside the rect
    expect(Array.from(out.data.subarray(8, 12))).toEqual([255, 255, 255, 255]); // fully opaque white
  });

  it('resizeMap is exact on constant maps and interpolates bilinearly', () => {
    const constant = resizeMap({ width: 3, height: 3, data: new Float32Array(9).fill(2) }, 7, 5);
    expect(Array.from(constant.data).every((v) => Math.abs(v - 2) < 1e-6)).toBe(true);
    const ramp = resizeMap({ width: 2, height: 1, data: Float32Array.from([0, 1]) }, 4, 1);
    expect(Array.from(ramp.data)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('tileGrid and upscale produce the documented sizes and positions', () => {
    const red = colorize({ width: 2, height: 2, data: new Float32Array(4).fill(1) }, 'gray');
    const grid = tileGrid([red, red, red], { columns: 2, gap: 1, background: [0, 0, 0, 255] });
    expect([grid.width, grid.height]).toEqual([2 * 2 + 3, 2 * 2 + 3]);
    expect(grid.data[(1 * grid.width + 1) * 4]).toBe(255); // first tile starts after the gap
    expect(grid.data[(4 * grid.width + 4) * 4]).toBe(0); // fourth slot is empty
    const big = upscale(red, 3);
    expect([big.width, big.height]).toEqual([6, 6]);
  });
});

describe('stretchContrast', () => {
  it('maps the 1st–99th percentile of a faint image to the full range, keeping alpha', async () => {
    const { stretchContrast } = await import('../src/core/render/image');
    const data = new Uint8ClampedArray(100 * 4);
    for (let p = 0; p < 100; p++) data.set([120 + (p % 16), 120 + (p % 16), 120 + (p % 16), 255], p * 4);
    const out = stretchContrast({ width: 10, height: 10, data });
    const rgb = Array.from(out.data).filter((_, i) => i % 4 !== 3);
    expect(Math.min(...rgb)).toBe(0);
    expect(Math.max(...rgb)).toBe(255);
    expect(out.data[3]).toBe(255);
  });
});
