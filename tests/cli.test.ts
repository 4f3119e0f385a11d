import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { type CliRun, imagePath, runCli, expectOneLineFailures } from './helpers';

type Run = CliRun;
const cli = runCli;

function json(run: Run): Record<string, unknown> {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout.trim().split('\n')).toHaveLength(1); // one JSON document and nothing else
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

const tmp = mkdtempSync(join(tmpdir(), 'convlens-cli-'));
const coffee = imagePath('coffee.png');

describe('CLI end to end (lite model)', () => {
  it('layers --json lists every layer with name, class and shape', async () => {
    const out = json(await cli('layers', '--model', 'lite', '--json'));
    expect(out['model']).toBe('lite');
    const layers = out['layers'] as { name: string; className: string; outputShape: number[] }[];
    expect(layers).toHaveLength(88);
    expect(layers.find((l) => l.name === 'conv_preds')).toEqual({ name: 'conv_preds', className: 'Conv2D', outputShape: [1, 1, 1000] });
  });

  it('classify --json recognises espresso, reports the crop; JPEG input works too', async () => {
    const out = json(await cli('classify', coffee, '--model', 'lite', '--top', '3', '--json'));
    expect(out['crop']).toEqual({ x: 0, y: 0, width: 600, height: 400 });
    const predictions = out['predictions'] as { index: number; label: string; probability: number }[];
    expect(predictions).toHaveLength(3);
    expect(predictions[0]).toMatchObject({ index: 967, label: 'espresso' });
    const centre = json(await cli('classify', imagePath('rocket.jpg'), '--model', 'lite', '--fit', 'center-crop', '--json'));
    expect(centre['crop']).toEqual({ x: 106, y: 0, width: 427, height: 427 }); // floor((640 − 427) / 2)
  });

  it('activations --json gives shape and per-channel stats, and --out writes the grid', async () => {
    const png = join(tmp, 'grid.png');
    const out = json(await cli('activations', coffee, '--layer', 'conv_pw_5_relu', '--model', 'lite', '--out', png, '--json'));
    expect(out['shape']).toEqual([28, 28, 64]);
    const channels = out['channels'] as { mean: number; max: number }[];
    expect(channels).toHaveLength(64);
    for (const c of channels) {
      expect(c.max).toBeGreaterThanOrEqual(c.mean);
      expect(c.max).toBeLessThanOrEqual(6); // ReLU6
      expect(c.mean).toBeGreaterThanOrEqual(0);
    }
    const grid = PNG.sync.read(readFileSync(png));
    // 8×8 tiles of 28×2 pixels with 1-pixel gaps.
    expect(grid.width).toBe(8 * 56 + 9);
    expect(grid.height).toBe(8 * 56 + 9);
  });

  it('filters --out writes the first-layer RGB tiles', async () => {
    const png = join(tmp, 'filters.png');
    const run = await cli('filters', '--model', 'lite', '--out', png);
    expect(run.code).toBe(0);
    const tiles = PNG.sync.read(readFileSync(png));
    // 8 filters of 3×3 → 3×3 grid of 24-pixel tiles with 2-pixel gaps.
    expect(tiles.width).toBe(3 * 24 + 4 * 2);
    let coloured = 0;
    for (let i = 0; i < tiles.data.length; i += 4) if (tiles.data[i] !== tiles.data[i + 1] || tiles.data[i + 1] !== tiles.data[i + 2]) coloured++;
    expect(coloured).toBeGreaterThan(100);
  });

  it('explain --json returns the map over the crop; --out overlays it on the original image', async () => {
    const png = join(tmp, 'overlay.png');
    const out = json(await cli('explain', coffee, '--method', 'gradcam', '--model', 'lite', '--out', png, '--json'));
    expect(out).toMatchObject({ method: 'gradcam', model: 'lite', width: 224, height: 224, crop: { x: 0, y: 0, width: 600, height: 400 } });
    expect(out['target']).toMatchObject({ index: 967, label: 'espresso' });
    const data = out['data'] as number[];
    expect(data).toHaveLength(224 * 224);
    expect(Math.min(...data)).toBeGreaterThanOrEqual(0);
    expect(typeof out['ms']).toBe('number');
    const picture = PNG.sync.read(readFileSync(png));
    expect([picture.width, picture.height]).toEqual([600, 400]);
    const target = json(await cli('explain', coffee, '--method', 'saliency', '--target', '504', '--model', 'lite', '--json'));
    expect(target['target']).toMatchObject({ index: 504, label: 'coffee mug' });
  });

  it('bad input: one line on stderr, nothing on stdout, non-zero exit, no stack trace', async () => {
    const truncated = join(tmp, 'truncated.png');
    writeFileSync(truncated, readFileSync(coffee).subarray(0, 30_000));
    const text = join(tmp, 'notes.png');
    writeFileSync(text, 'this is not an image\n');
    const cases: [string[], RegExp][] = [
      [['classify', join(tmp, 'missing.png')], /no such file/],
      [['classify', tmp], /is a directory/],
      [['classify', text], /not a PNG or JPEG/],
      [['classify', truncated], /truncated or corrupt PNG/],
      [['activations', coffee, '--layer', 'conv_pw_42_relu'], /unknown layer 'conv_pw_42_relu'/],
      [['explain', coffee, '--method', 'saliency', '--target', '1000'], /class index 1000 is out of range/],
      [['explain', coffee, '--method', 'deepdream'], /unknown method 'deepdream'/],
      [['explain', coffee, '--method', 'gradcam', '--layer', 'nope'], /unknown layer 'nope'/],
      [['classify', coffee, '--top', 'many'], /--top must be an integer/],
      [['classify', coffee, '--model', 'huge'], /unknown --model 'huge'/],
      [['classify'], /usage: classify IMAGE/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(...args, ...(args.includes('--model') ? [] : ['--model', 'lite']))));
    expectOneLineFailures(cases, runs);
  });
});
