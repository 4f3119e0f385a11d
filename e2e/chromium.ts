import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * How the e2e tests and the browser benchmarks run Debian's Chromium (Playwright cannot download browsers here):
 * one place for the executable, the flags and the fake camera. Flags per the project notes: no background
 * networking; for WebGPU the SwiftShader Vulkan set that keeps drawing from killing the device.
 */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const BASE_FLAGS = ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The fake camera's video: outside Playwright's output folder, which each run empties. */
export const FAKE_CAMERA = resolve('.cache', 'fake-camera.y4m');

export const CAMERA_FLAGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${FAKE_CAMERA}`];

export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader'];

/** Makes the fake camera's video from a shared photo once (a .y4m: Chromium's fake capture reads it reliably). */
export function ensureFakeCamera(): void {
  if (existsSync(FAKE_CAMERA)) return;
  mkdirSync(dirname(FAKE_CAMERA), { recursive: true });
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', 'public/gallery/coffee.png', '-t', '2', '-r', '10', '-pix_fmt', 'yuv420p', FAKE_CAMERA]);
}
