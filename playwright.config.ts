import { defineConfig } from '@playwright/test';
import { resolve } from 'node:path';

/**
 * End-to-end tests in Debian's Chromium (Playwright cannot download browsers here). The fake camera plays a
 * .y4m made from a shared photo by e2e/global-setup.ts. Flags per the project notes: no background networking,
 * and for WebGPU the SwiftShader Vulkan set that keeps drawing from killing the device.
 */
const PORT = Number(process.env['E2E_PORT'] ?? 4174);
/** The built app the tests serve (several runs side by side can use different folders and ports). */
export const DIST = resolve(process.env['E2E_DIST'] ?? 'dist');
const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const base = ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Outside Playwright's output folder, which each run empties.
export const FAKE_CAMERA = resolve('.cache', 'fake-camera.y4m');
const camera = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${FAKE_CAMERA}`];
const webgpu = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader'];

export default defineConfig({
  testDir: 'e2e',
  outputDir: process.env['E2E_RESULTS'] ?? 'test-results',
  globalSetup: './e2e/global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 60_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { baseURL: `http://127.0.0.1:${PORT}/`, headless: true },
  webServer: {
    command: `npx vite build --logLevel warn --outDir ${DIST} --emptyOutDir && npx vite preview --outDir ${DIST} --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${PORT}/`,
    timeout: 180_000,
    reuseExistingServer: false,
  },
  projects: [
    // Every spec runs with the fake camera unless its file name says no-camera or webgpu.
    { name: 'camera', testIgnore: /(no-camera|webgpu)\.spec\.ts/, use: { launchOptions: { executablePath, args: [...base, ...camera] } } },
    { name: 'no-camera', testMatch: /no-camera\.spec\.ts/, use: { launchOptions: { executablePath, args: base } } },
    { name: 'webgpu', testMatch: /webgpu\.spec\.ts/, use: { launchOptions: { executablePath, args: [...base, ...camera, ...webgpu] } } },
  ],
});
