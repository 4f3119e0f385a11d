import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { ModelId } from '../src/core/models';
import type { ConvNet } from '../src/core/network';
import { imageToModelInput, type ModelInput, type RgbaImage } from '../src/core/preprocess';
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadModel } from '../src/node/model-files';

export const ROOT = resolve(import.meta.dirname, '..');
/** The shared CC0 test images (../shared/images beside the checkout). */
export const IMAGES = resolve(ROOT, '..', 'shared', 'images');
export const imagePath = (name: string): string => join(IMAGES, name);

const nets = new Map<ModelId, Promise<ConvNet>>();
/** One loaded model per test file (vitest isolates files), shared between its tests. */
export function net(id: ModelId = 'lite'): Promise<ConvNet> {
  let p = nets.get(id);
  if (!p) {
    p = loadModel(id);
    nets.set(id, p);
  }
  return p;
}

/**
 * Pixels of a PNG or JPEG file, decoded synchronously (pngjs / jpeg-js), for fixtures and for the pictures tests
 * wrote. The product decodes with sharp (src/node/image-io.ts, async); tests/real-pictures.test.ts checks that both
 * give the same pixels for every shared image (PNG exactly, the JPEG within decoder rounding). Alpha is kept.
 */
export function readPixelsSync(path: string): RgbaImage {
  const bytes = readFileSync(path);
  if (bytes[0] === 0x89) {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  }
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return { width: img.width, height: img.height, data: img.data };
}

/** A shared CC0 photo (opaque, upright, small) as RGBA pixels. */
export function sharedImage(name: string): RgbaImage {
  return readPixelsSync(imagePath(name));
}

export function modelInput(name: string): ModelInput {
  return imageToModelInput(sharedImage(name));
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI exactly as `npm run -s cli -- …` does (node --import tsx src/cli/main.ts). */
export function runCli(...args: string[]): Promise<CliRun> {
  return runCliWithNode([], ...args);
}

/** runCli with extra Node options before the script (e.g. an --import that reports the peak memory). */
export function runCliWithNode(nodeOptions: readonly string[], ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Max |a − b| in pixel levels (model space × 127.5), in double precision from the float32 values. */
export function linfPixels(a: tf.Tensor, b: tf.Tensor): number {
  const [x, y] = [a.dataSync(), b.dataSync()];
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!) * 127.5);
  return m;
}

/** ‖a − b‖₂ in pixel levels. */
export function l2Pixels(a: tf.Tensor, b: tf.Tensor): number {
  const [x, y] = [a.dataSync(), b.dataSync()];
  let s = 0;
  for (let i = 0; i < x.length; i++) s += ((x[i]! - y[i]!) * 127.5) ** 2;
  return Math.sqrt(s);
}

/** Each bad-input run failed the way a user should see it: non-zero exit, nothing on stdout, one matching line. */
export function expectOneLineFailures(cases: readonly (readonly [readonly string[], RegExp])[], runs: readonly CliRun[]): void {
  runs.forEach((run, k) => {
    const [args, message] = cases[k]!;
    const what = args.join(' ');
    expect(run.code, what).not.toBe(0);
    expect(run.stdout, what).toBe('');
    expect(run.stderr.trim().split('\n'), what).toHaveLength(1);
    expect(run.stderr, what).toMatch(message);
    expect(run.stderr, what).not.toMatch(/\n\s+at /);
  });
}
