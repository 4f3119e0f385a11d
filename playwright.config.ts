import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { BASE_FLAGS as base, CAMERA_FLAGS as camera, CHROMIUM as executablePath, TWO_SCENE_CAMERA_FLAGS as twoScenes, WEBGPU_FLAGS as webgpu } from './e2e/chromium';

/**
 * End-to-end tests in Debian's Chromium (executable and flags in e2e/chromium.ts). The fake camera plays a
 * .y4m made from a shared photo by e2e/global-setup.ts.
 */
/**
 * The port the tests serve the app on: E2E_PORT when set, else a free one picked once here. The choice is put in
 * the environment so that Playwright's workers, which load this file again, see the same port.
 */
function freePort(): number {
  const script = "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}
process.env['E2E_PORT'] ??= String(freePort());
const PORT = Number(process.env['E2E_PORT']);
/**
 * The app the tests build and serve: its own folder (dist-e2e), never `dist/`, so a running `npm start` is left
 * alone. E2E_DIST overrides it (several runs side by side use different folders and ports).
 */
export const DIST = resolve(process.env['E2E_DIST'] ?? 'dist-e2e');

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
    // Every spec runs with the fake camera unless its file name says no-camera, webgpu or two-scenes.
    { name: 'camera', testIgnore: /(no-camera|webgpu|two-scenes)\.spec\.ts/, use: { launchOptions: { executablePath, args: [...base, ...camera] } } },
    // A camera that switches between two objects (Teach mode).
    { name: 'two-scenes', testMatch: /two-scenes\.spec\.ts/, use: { launchOptions: { executablePath, args: [...base, ...twoScenes] } } },
    { name: 'no-camera', testMatch: /no-camera\.spec\.ts/, use: { launchOptions: { executablePath, args: base } } },
    { name: 'webgpu', testMatch: /webgpu\.spec\.ts/, use: { launchOptions: { executablePath, args: [...base, ...camera, ...webgpu] } } },
  ],
});
