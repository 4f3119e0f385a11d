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

/** A fake camera that switches between two objects (Teach mode's test): the coffee cup, then the cat, 4 s each. */
export const TWO_SCENE_CAMERA = resolve('.cache', 'fake-camera-two-scenes.y4m');

export const TWO_SCENE_CAMERA_FLAGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${TWO_SCENE_CAMERA}`];

/** Seconds each scene of TWO_SCENE_CAMERA stays on screen. */
export const SCENE_SECONDS = 4;

/** WebGL on SwiftShader (ANGLE's software GL on the CPU): the WebGL backend where no GPU is present. */
export const SWIFTSHADER_WEBGL_FLAGS = ['--use-angle=swiftshader'];

export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', ...SWIFTSHADER_WEBGL_FLAGS];

/**
 * A still picture as a YUV4MPEG2 video (4:2:0, BT.601 studio range, as ffmpeg's `-pix_fmt yuv420p` writes it):
 * `frames` identical frames at `fps`. Chromium's fake capture device reads .y4m files reliably.
 */
export function y4mOf(png: Buffer, frames: number, fps: number): Buffer {
  return y4mOfScenes([{ png, frames }], fps);
}

/**
 * Pictures one after another as one YUV4MPEG2 video (same format as y4mOf): each shown for its `frames` frames,
 * every picture stretched to the first one's size (nearest pixel). Chromium's fake camera loops the file, so the
 * scenes alternate for as long as the camera runs.
 */
export function y4mOfScenes(scenes: readonly { png: Buffer; frames: number }[], fps: number): Buffer {
  const first = PNG.sync.read(scenes[0]!.png);
  const w = first.width - (first.width % 2);
  const h = first.height - (first.height % 2);
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F${fps}:1 Ip A1:1 C420jpeg XYSCSS=420JPEG XCOLORRANGE=LIMITED\n`);
  const parts: Buffer[] = [header];
  for (const scene of scenes) {
    const frame = Buffer.concat([Buffer.from('FRAME\n'), yuvFrame(PNG.sync.read(scene.png), w, h)]);
    for (let i = 0; i < scene.frames; i++) parts.push(frame);
  }
  return Buffer.concat(parts);
}

/** One picture as a w × h 4:2:0 frame (Y, then U, then V planes), stretched by nearest pixel. */
function yuvFrame(picture: { width: number; height: number; data: Buffer }, w: number, h: number): Buffer {
  const { width, height, data } = picture;
  const y = Buffer.alloc(w * h);
  const u = Buffer.alloc((w / 2) * (h / 2));
  const v = Buffer.alloc((w / 2) * (h / 2));
  const rgb = (x: number, row: number): [number, number, number] => {
    const i = (Math.min(height - 1, Math.floor((row * height) / h)) * width + Math.min(width - 1, Math.floor((x * width) / w))) * 4;
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
  return Buffer.concat([y, u, v]);
}

/** Makes the fake camera's video from a shared photo once (2 s at 10 frames/s of public/gallery/coffee.png). */
export function ensureFakeCamera(): void {
  mkdirSync(dirname(FAKE_CAMERA), { recursive: true });
  if (!existsSync(FAKE_CAMERA)) writeFileSync(FAKE_CAMERA, y4mOf(readFileSync('public/gallery/coffee.png'), 20, 10));
  if (!existsSync(TWO_SCENE_CAMERA)) {
    const fps = 5;
    const scenes = ['coffee.png', 'chelsea.png'].map((name) => ({ png: readFileSync(`public/gallery/${name}`), frames: SCENE_SECONDS * fps }));
    writeFileSync(TWO_SCENE_CAMERA, y4mOfScenes(scenes, fps));
  }
}
