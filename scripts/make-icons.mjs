#!/usr/bin/env node
// Draws ConvLens's app icons (a lens-eye: an orange almond with a dark iris, a blue lens ring and a highlight)
// into public/icons/ with pngjs. Run `node scripts/make-icons.mjs` after changing the drawing; the PNGs are
// committed. The maskable icon keeps the whole motif inside the safe zone (a centred circle of 40 % of the size).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const outDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');

const BACKGROUND = [0x11, 0x11, 0x11];
const ORANGE = [0xf6, 0xa2, 0x1a];
const IRIS = [0x11, 0x11, 0x11];
const RING = [0x66, 0xcc, 0xff];
const WHITE = [0xff, 0xff, 0xff];

// The almond is the intersection of two circles of radius R centred at (0, ±C): half-width 0.95, half-height 0.55.
const R = 1.0955;
const C = 0.5455;
/** How far the motif reaches from the centre, in motif units (the almond's tips). */
const MOTIF_REACH = 0.95;

/** The colour of the motif at (x, y) in motif units (centre 0, 0), or null for background. */
function motif(x, y) {
  const r = Math.hypot(x, y);
  const highlight = Math.hypot(x + 0.13, y + 0.13);
  if (highlight < 0.075) return WHITE;
  if (r < 0.2) return IRIS;
  if (r >= 0.27 && r < 0.36) return RING;
  if (r < 0.44) return IRIS;
  if (Math.hypot(x, y - C) < R && Math.hypot(x, y + C) < R) return ORANGE;
  return null;
}

/**
 * One icon: `reach` is the share of the half-size the motif's tips reach (0.9 for plain icons; for maskable
 * ones at most 0.8, the safe zone's radius). Supersampled 4 × 4 for smooth edges; fully opaque.
 */
function draw(size, reach) {
  const png = new PNG({ width: size, height: size });
  const half = size / 2;
  const scale = (half * reach) / MOTIF_REACH; // pixels per motif unit
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0];
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n - half) / scale;
          const y = (py + (sy + 0.5) / n - half) / scale;
          const c = motif(x, y) ?? BACKGROUND;
          for (let k = 0; k < 3; k++) sum[k] += c[k];
        }
      }
      const i = (py * size + px) * 4;
      for (let k = 0; k < 3; k++) png.data[i + k] = Math.round(sum[k] / (n * n));
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

const ICONS = [
  { file: 'icon-192.png', size: 192, reach: 0.9 },
  { file: 'icon-512.png', size: 512, reach: 0.9 },
  // Safe zone: a circle of radius 0.4 × size = 0.8 × half-size; 0.72 leaves a margin.
  { file: 'icon-512-maskable.png', size: 512, reach: 0.72 },
  { file: 'apple-touch-icon.png', size: 180, reach: 0.8 },
];

mkdirSync(outDir, { recursive: true });
for (const { file, size, reach } of ICONS) {
  const path = join(outDir, file);
  writeFileSync(path, draw(size, reach));
  console.log(`wrote ${path}`);
}
