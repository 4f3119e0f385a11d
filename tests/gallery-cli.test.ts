import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writePng } from '../src/node/image-io';
import { ROOT, imagePath, sharedImage, readPixelsSync } from './helpers';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a separate process, the way a user does. */
function cli(...args: string[]): Run {
  const run = spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function json<T>(run: Run): T {
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(run.stdout) as T;
}

const temp = mkdtempSync(join(tmpdir(), 'convlens-gallery-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
const cache = join(temp, 'cache');
const gallery = join(temp, 'gallery');
mkdirSync(gallery);
for (const name of ['coffee.png', 'chelsea.png', 'rocket.jpg']) copyFileSync(imagePath(name), join(gallery, name));
writeFileSync(join(gallery, 'notes.txt'), 'a note, not a picture\n');
writeFileSync(join(gallery, 'zz-truncated.png'), readFileSync(imagePath('camera.png')).subarray(0, 3000));

/** chelsea.png mirrored: a new file whose nearest gallery image in feature space should be the original. */
const mirrored = join(temp, 'mirrored-cat.png');
{
  const cat = sharedImage('chelsea.png');
  const data = new Uint8ClampedArray(cat.data.length);
  for (let y = 0; y < cat.height; y++) {
    for (let x = 0; x < cat.width; x++) data.set(cat.data.subarray((y * cat.width + x) * 4, (y * cat.width + x) * 4 + 4), (y * cat.width + cat.width - 1 - x) * 4);
  }
  writePng(mirrored, { width: cat.width, height: cat.height, data });
}

const skipLines = (stderr: string): string[] => stderr.trim().split('\n').filter((l) => l.length > 0);

describe('gallery CLI end to end (lite model)', () => {
  it('neighbours --json finds the original, skips the broken files with one line each', () => {
    const run = cli('neighbours', mirrored, '--gallery', gallery, '--k', '2', '--model', 'lite', '--cache', cache, '--json');
    const out = json<{ space: string; metric: string; neighbours: { file: string; distance: number }[] }>(run);
    expect(out.space).toBe('feature');
    expect(out.metric).toBe('l2');
    expect(out.neighbours).toHaveLength(2);
    expect(out.neighbours[0]!.file).toBe(join(gallery, 'chelsea.png'));
    expect(out.neighbours[0]!.distance).toBeLessThan(out.neighbours[1]!.distance);
    const lines = skipLines(run.stderr);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/skipped .*notes\.txt: not a PNG or JPEG image/);
    expect(lines[1]).toMatch(/skipped .*zz-truncated\.png: cannot decode/);
    // The features are now cached under --cache.
    expect(existsSync(join(cache, 'features'))).toBe(true);
  });

  it('top-patches --json writes the grid and reports crops inside the images', () => {
    const grid = join(temp, 'grid.png');
    const run = cli('top-patches', '--gallery', gallery, '--layer', 'conv_pw_5_relu', '--channel', '3', '--k', '4', '--out', grid, '--model', 'lite', '--cache', cache, '--json');
    const out = json<{ layer: string; channel: number; patches: { file: string; x: number; y: number; width: number; height: number; activation: number }[] }>(run);
    expect(out).toMatchObject({ layer: 'conv_pw_5_relu', channel: 3 });
    expect(out.patches).toHaveLength(4);
    for (const p of out.patches) {
      const image = readPixelsSync(p.file);
      expect(p.x + p.width).toBeLessThanOrEqual(image.width);
      expect(p.y + p.height).toBeLessThanOrEqual(image.height);
      expect(p.width).toBeGreaterThan(0);
    }
    expect(out.patches.map((p) => p.activation)).toEqual(out.patches.map((p) => p.activation).sort((a, b) => b - a));
    expect(readPixelsSync(grid).width).toBeGreaterThan(96 * 2);
    expect(skipLines(run.stderr)).toHaveLength(2);
  });

  it('embed --method tsne --json maps the readable images; gallery add and list keep the index', () => {
    const map = join(temp, 'map.png');
    const out = json<{ method: string; points: { file: string; x: number; y: number }[] }>(
      cli('embed', '--gallery', gallery, '--method', 'tsne', '--seed', '5', '--out', map, '--model', 'lite', '--cache', cache, '--json'),
    );
    expect(out.method).toBe('tsne');
    expect(out.points.map((p) => p.file)).toEqual(['chelsea.png', 'coffee.png', 'rocket.jpg'].map((n) => join(gallery, n)));
    expect(out.points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true);
    expect(readPixelsSync(map).width).toBe(1024);

    const added = json<{ added: { name: string }[]; present: { name: string }[]; features: { computed: number; cached: number } }>(
      cli('gallery', 'add', mirrored, gallery, '--model', 'lite', '--cache', cache, '--json'),
    );
    // The mirrored cat is new; the three copies of bundled images are already in the default gallery.
    expect(added.added.map((a) => a.name)).toEqual(['mirrored-cat.png']);
    expect(added.present).toHaveLength(3);
    expect(added.features).toEqual({ computed: 0, cached: 4 }); // all computed by the runs above
    const list = json<{ images: { file: string; source: string }[] }>(cli('gallery', 'list', '--cache', cache, '--json'));
    expect(list.images.filter((i) => i.source === 'bundled')).toHaveLength(7);
    expect(list.images.filter((i) => i.source === 'added')).toHaveLength(1);
  });

  it('fails with one line and a non-zero exit for an unknown layer or a missing gallery', () => {
    const badLayer = cli('top-patches', '--gallery', gallery, '--layer', 'conv_pw_99', '--channel', '0', '--model', 'lite', '--cache', cache, '--json');
    expect(badLayer.status).toBe(1);
    expect(badLayer.stdout).toBe('');
    expect(skipLines(badLayer.stderr)).toEqual([expect.stringMatching(/^convlens top-patches: unknown layer 'conv_pw_99'/)]);
    const badChannel = cli('top-patches', '--gallery', gallery, '--layer', 'conv_pw_5_relu', '--channel', '64', '--model', 'lite', '--cache', cache);
    expect(badChannel.status).toBe(1);
    expect(badChannel.stderr).toMatch(/channel 64 is out of range 0..63/);
    const noDir = cli('neighbours', mirrored, '--gallery', join(temp, 'missing'), '--model', 'lite', '--cache', cache, '--json');
    expect(noDir.status).toBe(1);
    expect(skipLines(noDir.stderr)).toEqual([`convlens neighbours: no such directory: ${join(temp, 'missing')}`]);
  });
});
