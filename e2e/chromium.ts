import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { PNG } from 'pngjs';

/**
 * How the e2e tests and the browser benchmarks run Chromium: one place for the executable, the flags and the fake
 * camera. Flags per the project notes: no background networking; for WebGPU the SwiftShader Vulkan set that keeps
 * drawing from killing the device.
 */

/** CHROMIUM_PATH, else Debian's Chromium, else the one Playwright downloaded (scripts/browser-prereqs.mjs). */
function findChromium(): string {
  const system = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => Boolean(p) && existsSync(p!));
  if (system) return system;
  try {
    const { chromium } = createRequire(import.meta.url)('playwright-core') as { chromium: { executablePath(): string } };
    const downloaded = chromium.executablePath();
    if (existsSync(downloaded)) return downloaded;
  } catch {
    // fall through to the default path, whose absence Playwright reports clearly
  }
  return '/usr/bin/chromium';
}

export const CHROMIUM = findChromium();

export const BASE_FLAGS = ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The fake camera's video: outside Playwright's output folder, which each run empties. */
export const FAKE_CAMERA = resolve('.cache', 'fake-camera.y4m');

export const CAMERA_FLAGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${FAKE_CAMERA}`];

/** WebGL on SwiftShader (ANGLE's software GL on the CPU): the WebGL backend where no GPU is present. */
export const SWIFTSHADER_WEBGL_FLAGS = ['--use-angle=swiftshader'];

export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', ...SWIFTSHADER_WEBGL_FLAGS];

/**
 * A still picture as a YUV4MPEG2 video (4:2:0, BT.601 studio range, as ffmpeg's `-pix_fmt yuv420p` writes it):
 * `frames` identical frames at `fps`. Chromium's fake capture device reads .y4m files reliably.
 */
export function y4mOf(png: Buffer, frames: number, fps: number): Buffer {
  const { width, height, data } = PNG.sync.read(png);
  const w = width - (width % 2);
  const h = height - (height % 2);
  const y = Buffer.alloc(w * h);
  const u = Buffer.alloc((w / 2) * (h / 2));
  const v = Buffer.alloc((w / 2) * (h / 2));
  const rgb = (x: number, row: number): [number, number, number] => {
    const i = (row * width + x) * 4;
    return [data[i]!, data[i + 1]!, data[i + 2]!];
  };
  for (let row = 0; row < h; row++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = rgb(x, row);
      y[row * w + x] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
    }
  }
  for (let row = 0; row < h / 2; row++) {
    for (let x = 0; x < w / 2; x++) {
      let [r, g, b] = [0, 0, 0];
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const [pr, pg, pb] = rgb(2 * x + dx, 2 * row + dy);
        r += pr / 4;
        g += pg / 4;
        b += pb / 4;
      }
      u[row * (w / 2) + x] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
      v[row * (w / 2) + x] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
    }
  }
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F${fps}:1 Ip A1:1 C420jpeg XYSCSS=420JPEG XCOLORRANGE=LIMITED\n`);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]);
}

/** Makes the fake camera's video from a shared photo once (2 s at 10 frames/s of public/gallery/coffee.png). */
export function ensureFakeCamera(): void {
  if (existsSync(FAKE_CAMERA)) return;
  mkdirSync(dirname(FAKE_CAMERA), { recursive: true });
  writeFileSync(FAKE_CAMERA, y4mOf(readFileSync('public/gallery/coffee.png'), 20, 10));
}
