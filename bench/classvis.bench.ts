/**
 * Class-visualisation recognisability benchmark (Node, tfjs CPU backend). A proxy for "a person recognises it":
 * the picture one network width paints for a class is classified by the OTHER width (lite 0.25 ↔ standard 0.75,
 * separately trained MobileNets), and we count the classes that land in its top 5. Prints, per class and maker,
 * the rank of the class under the other model and under the maker itself, the other model's top-1, and the time
 * per picture; writes a labelled grid PNG (one row per maker) for the README.
 *
 *   npx tsx bench/classvis.bench.ts [--preset NAME] [--steps N] [--classes 130,1,951,949,985,323]
 *       [--make lite|standard|both] [--seed S] [--out docs/screenshots/class-visualisation-grid.png]
 */
import * as tf from '@tensorflow/tfjs';
import sharp, { type OverlayOptions } from 'sharp';
import type { ConvNet } from '../src/core/network';
import { DEFAULT_VISUALIZE_PRESET, VISUALIZE_JOB } from '../src/core/optimize/defaults';
import { PRESET_NAMES, type PresetName } from '../src/core/optimize/presets';
import { visualizeClass } from '../src/core/optimize/visualize';
import { modelInputToImage } from '../src/core/preprocess';
import { loadModel } from '../src/node/model-files';
import { argValue, fail, intArg, setupBackend, table } from './harness';

/** Six ImageNet classes with distinctive colour and shape. */
const CLASSES = [130, 1, 951, 949, 985, 323];

await setupBackend();
const presetName = (argValue('--preset') ?? DEFAULT_VISUALIZE_PRESET) as PresetName;
if (!PRESET_NAMES.includes(presetName)) fail(`--preset must be one of ${PRESET_NAMES.join(', ')}`);
const steps = intArg('--steps', VISUALIZE_JOB.default.steps, 0);
const seed = intArg('--seed', 0, 0);
const classes = (argValue('--classes') ?? CLASSES.join(',')).split(',').map(Number);
if (classes.some((c) => !Number.isInteger(c) || c < 0 || c > 999)) fail('--classes needs ImageNet indices 0–999, comma-separated');
const make = argValue('--make') ?? 'both';
if (!['lite', 'standard', 'both'].includes(make)) fail('--make must be lite, standard or both');
const out = argValue('--out') ?? new URL('../docs/screenshots/class-visualisation-grid.png', import.meta.url).pathname;

const nets: Record<'lite' | 'standard', ConvNet> = { lite: await loadModel('lite'), standard: await loadModel('standard') };
const makers = make === 'both' ? (['lite', 'standard'] as const) : [make as 'lite' | 'standard'];

/** 1-based rank of `index` among the net's probabilities for the image, and its top-1 class. */
async function rankOf(net: ConvNet, image: tf.Tensor4D, index: number): Promise<{ rank: number; top: number }> {
  const logits = tf.tidy(() => net.run(image, { logits: true }).logits!);
  const values = (await logits.data()) as Float32Array;
  logits.dispose();
  let rank = 1;
  let top = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > values[index]!) rank++;
    if (values[i]! > values[top]!) top = i;
  }
  return { rank, top };
}

const short = (label: string): string => label.split(',')[0]!;
const rows: (string | number)[][] = [['maker', 'class', 'rank (other)', 'other top-1', 'rank (maker)', 's / picture']];
const tiles: { maker: string; index: number; png: Buffer; caption: string }[][] = [];
const hits: Record<string, number> = {};
const times: Record<string, number[]> = {};
for (const maker of makers) {
  const other = maker === 'lite' ? 'standard' : 'lite';
  const row: (typeof tiles)[number] = [];
  hits[maker] = 0;
  times[maker] = [];
  for (const index of classes) {
    const t0 = performance.now();
    const r = await visualizeClass(nets[maker], index, { preset: presetName, steps, seed });
    const seconds = (performance.now() - t0) / 1000;
    times[maker]!.push(seconds);
    const cross = await rankOf(nets[other], r.image, index);
    const own = await rankOf(nets[maker], r.image, index);
    if (cross.rank <= 5) hits[maker]!++;
    const label = short(nets[maker].labels[index] ?? `class ${index}`);
    rows.push([maker, `${index} ${label}`, cross.rank, short(nets[other].labels[cross.top] ?? ''), own.rank, Number(seconds.toFixed(1))]);
    console.error(rows.at(-1)!.join('  '));
    const rgba = await modelInputToImage(r.image);
    r.image.dispose();
    const png = await sharp(Buffer.from(rgba.data), { raw: { width: rgba.width, height: rgba.height, channels: 4 } }).png().toBuffer();
    row.push({ maker, index, png, caption: `${label} — ${other} rank ${cross.rank}` });
  }
  tiles.push(row);
}

console.log(`\npreset ${presetName}, ${steps} steps, seed ${seed}; a hit: the class in the other model's top 5\n`);
console.log(table(rows));
for (const maker of makers) {
  const t = times[maker]!.slice().sort((a, b) => a - b);
  console.log(`${maker} → ${maker === 'lite' ? 'standard' : 'lite'}: ${hits[maker]} of ${classes.length} in the top 5; median ${t[Math.floor(t.length / 2)]!.toFixed(1)} s per picture (CPU)`);
}

// The grid: one row per maker, a caption under each picture.
const side = 224;
const captionH = 22;
const labelW = 120;
const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const composites: OverlayOptions[] = [];
tiles.forEach((row, r) => {
  const y = r * (side + captionH);
  composites.push({
    input: Buffer.from(
      `<svg width="${labelW}" height="${side}"><text x="8" y="${side / 2 - 8}" font-family="DejaVu Sans" font-size="15" fill="#111">made by</text><text x="8" y="${side / 2 + 12}" font-family="DejaVu Sans" font-size="15" font-weight="bold" fill="#111">${row[0]!.maker}</text></svg>`,
    ),
    left: 0,
    top: y,
  });
  row.forEach((tile, c) => {
    const x = labelW + c * side;
    composites.push({ input: tile.png, left: x, top: y });
    composites.push({
      input: Buffer.from(`<svg width="${side}" height="${captionH}"><text x="${side / 2}" y="16" text-anchor="middle" font-family="DejaVu Sans" font-size="13" fill="#111">${escape(tile.caption)}</text></svg>`),
      left: x,
      top: y + side,
    });
  });
});
await sharp({ create: { width: labelW + classes.length * side, height: tiles.length * (side + captionH), channels: 3, background: '#ffffff' } })
  .composite(composites)
  .png()
  .toFile(out);
console.log(`grid → ${out}`);
