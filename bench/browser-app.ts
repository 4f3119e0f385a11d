import { execFileSync } from 'node:child_process';
import { type Browser, chromium } from 'playwright-core';
import { preview } from 'vite';
import { BASE_FLAGS, CAMERA_FLAGS, CHROMIUM, WEBGPU_FLAGS, ensureFakeCamera } from '../e2e/chromium';

/**
 * For the browser benchmarks: builds the app into `outDir`, serves it with `vite preview` and launches Debian's
 * Chromium with the fake camera and every backend available (the e2e tests' flags).
 */
export async function startBuiltApp(outDir: string, port: number): Promise<{ origin: string; browser: Browser; close(): Promise<void> }> {
  ensureFakeCamera();
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], { stdio: 'inherit' });
  const server = await preview({ build: { outDir }, preview: { port, strictPort: true, host: '127.0.0.1' }, logLevel: 'warn' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_FLAGS, ...CAMERA_FLAGS, ...WEBGPU_FLAGS] });
  return {
    origin: `http://127.0.0.1:${port}/`,
    browser,
    close: async () => {
      await browser.close();
      server.httpServer.close();
    },
  };
}
