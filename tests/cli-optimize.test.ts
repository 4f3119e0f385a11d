import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { topClasses } from '../src/core/optimize/pixels';
import { imageToModelInput } from '../src/core/preprocess';
import { type CliRun, imagePath, net, runCli, expectOneLineFailures, readPixelsSync } from './helpers';

/** visualize / invert / fool / uap / uap-eval as a user runs them (lite model). */

type Run = CliRun;
const cli = (...args: string[]): Promise<Run> => runCli(...args, '--model', 'lite');

function json(run: Run, stderr = ''): Record<string, unknown> {
  expect(run.stderr).toBe(stderr);
  expect(run.code).toBe(0);
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** Top-1 class of a saved PNG, prepared as any photo would be. */
async function classOfPng(path: string): Promise<number> {
  const { tensor } = imageToModelInput(readPixelsSync(path));
  const [top] = await topClasses(await net('lite'), tensor);
  tensor.dispose();
  return top!;
}

const tmp = mkdtempSync(join(tmpdir(), 'convlens-optimize-'));
const coffee = imagePath('coffee.png');

describe('optimisation commands end to end (lite model)', () => {
  it('visualize --class --json: the saved picture is classified as the class', async () => {
    const png = join(tmp, 'flamingo.png');
    const out = json(await cli('visualize', '--class', '130', '--preset', 'yosinski', '--steps', '30', '--out', png, '--json'));
    expect(out).toMatchObject({ class: { index: 130, label: 'flamingo' }, steps: 30, preset: 'yosinski', out: png });
    expect(out['probability']).toBeGreaterThan(0.5);
    expect(typeof out['ms']).toBe('number');
    const picture = readPixelsSync(png);
    expect([picture.width, picture.height]).toEqual([224, 224]);
    expect(await classOfPng(png)).toBe(130);
  });

  it('visualize --layer --channel --neuron and invert IMAGE --layer', async () => {
    const unit = json(await cli('visualize', '--layer', 'conv_pw_5_relu', '--channel', '3', '--neuron', '10,10', '--steps', '6', '--init', 'noise', '--json'));
    expect(unit).toMatchObject({ layer: 'conv_pw_5_relu', channel: 3, neuron: { x: 10, y: 10 }, objectiveLayer: 'conv_pw_5_bn', steps: 6 });
    expect(unit['activation']).toBeGreaterThan((unit['startActivation'] as number) + 1);
    const png = join(tmp, 'inverted.png');
    const inv = json(await cli('invert', imagePath('chelsea.png'), '--layer', 'conv_pw_3_relu', '--steps', '8', '--out', png, '--json'));
    expect(inv).toMatchObject({ layer: 'conv_pw_3_relu', steps: 8, preset: 'yosinski' });
    expect(inv['distance']).toBeLessThan(inv['startDistance'] as number);
    expect(readPixelsSync(png).width).toBe(224);
  });

  it('fool --json: JSON as documented; the 8-bit PNG fools; the ×10 difference stays within ±10ε of grey', async () => {
    const adv = join(tmp, 'adv.png');
    const diff = join(tmp, 'diff.png');
    const out = json(await cli('fool', coffee, '--target', '9', '--eps', '8', '--out', adv, '--out-diff', diff, '--json'));
    expect(out).toMatchObject({
      success: true,
      crop: { x: 0, y: 0, width: 600, height: 400 },
      original: { index: 967, label: 'espresso' },
      adversarial: { index: 9 },
      target: { index: 9, label: 'ostrich, Struthio camelus' },
    });
    expect(out['linf']).toBeLessThanOrEqual(8);
    expect(out['l2']).toBeGreaterThan(0);
    expect(out['steps']).toBeGreaterThan(0);
    expect(await classOfPng(adv)).toBe(9);
    const d = readPixelsSync(diff);
    expect([d.width, d.height]).toEqual([224, 224]);
    let off = 0;
    for (let i = 0; i < d.data.length; i += 4) {
      for (let c = 0; c < 3; c++) {
        expect(Math.abs(d.data[i + c]! - 127.5)).toBeLessThanOrEqual(80.5);
        if (d.data[i + c] !== 128 && d.data[i + c] !== 127) off++;
      }
    }
    expect(off).toBeGreaterThan(1000);
  });

  it('uap + uap-eval: unreadable files are skipped with a message; the file round-trips', async () => {
    const train = join(tmp, 'train');
    mkdirSync(train);
    for (const name of ['coffee.png', 'chelsea.png', 'camera.png']) copyFileSync(imagePath(name), join(train, name));
    writeFileSync(join(train, 'broken.png'), 'not really a png');
    writeFileSync(join(train, 'notes.txt'), 'ignored: not an image name');
    const file = join(tmp, 'uap.json');
    const png = join(tmp, 'uap.png');
    const run = await cli('uap', '--train', train, '--attack', 'gradient', '--max-passes', '2', '--held-out', '0', '--out', file, '--out-png', png, '--json');
    const skip = `convlens uap: skipping ${join(train, 'broken.png')}: ${join(train, 'broken.png')} is not a PNG or JPEG image\n`;
    const out = json(run, skip);
    expect(out).toMatchObject({ images: 3, heldOutImages: 0, heldOutRate: null, eps: 10, attack: 'gradient', method: 'moosavi' });
    expect(out['foolingRate']).toBeGreaterThanOrEqual(2 / 3);
    expect(typeof out['ms']).toBe('number');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ format: 'convlens-uap', eps: 10, shape: [224, 224, 3], model: 'lite', foolingRate: out['foolingRate'] });
    expect(readPixelsSync(png).width).toBe(224);
    const evaluated = json(await cli('uap-eval', '--perturbation', file, '--images', train, '--json'), skip.replace('uap:', 'uap-eval:'));
    expect(evaluated).toMatchObject({ foolingRate: out['foolingRate'], n: 3 });
  });

  it('bad arguments: one line on stderr, nothing on stdout, non-zero exit', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const notUap = join(tmp, 'not-uap.json');
    writeFileSync(notUap, '{"hello": 1}');
    const cases: [string[], RegExp][] = [
      [['visualize', '--class', '1000'], /class index 1000 is out of range 0..999/],
      // Every bad class index gets the same range line (issue 14, item 7): not a number, negative, too large.
      [['visualize', '--class', 'seven'], /class index seven is not a whole number in 0..999/],
      [['visualize', '--class', '-3'], /class index -3 is out of range 0..999/],
      [['visualize', '--layer', 'conv_pw_99_relu', '--channel', '0'], /unknown layer 'conv_pw_99_relu'/],
      [['visualize', '--layer', 'conv_pw_5_relu', '--channel', '64'], /channel 64 is out of range 0..63/],
      [['visualize', '--layer', 'conv_pw_5_relu', '--channel', '1', '--neuron', '40,1'], /outside the 28×28 map/],
      [['visualize', '--class', '1', '--preset', 'deepdream'], /unknown --preset 'deepdream'/],
      [['visualize'], /give either --class INDEX or --layer NAME/],
      [['invert', coffee, '--layer', 'nope'], /unknown layer 'nope'/],
      [['fool', coffee, '--target', '9', '--eps', '0'], /eps must be a positive number/],
      [['fool', coffee, '--target', '1000'], /class index 1000 is out of range 0..999/],
      [['fool', coffee, '--target', '-5'], /class index -5 is out of range 0..999/],
      [['fool', coffee, '--target', 'x'], /class index x is not a whole number in 0..999/],
      [['fool', join(tmp, 'missing.png'), '--target', '9'], /no such file/],
      [['uap', '--train', empty, '--out', join(tmp, 'x.json')], /no readable PNG or JPEG images/],
      [['uap', '--train', join(tmp, 'nowhere'), '--out', join(tmp, 'x.json')], /no such directory/],
      [['uap', '--train', empty, '--out', join(tmp, 'x.json'), '--eps', '0'], /eps must be a positive number/],
      [['uap', '--train', empty], /--out is required/],
      [['uap-eval', '--perturbation', notUap, '--images', empty], /not a ConvLens perturbation file/],
      [['uap-eval', '--perturbation', join(tmp, 'none.json'), '--images', empty], /no such file/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(...args)));
    expectOneLineFailures(cases, runs);
    // 20 CLI processes at once, each starting tsx and TensorFlow.js: 120 s ran out on 2 cores shared with an e2e run.
  }, 300_000);
});
