import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { BASE_FLAGS, CAMERA_FLAGS, CHROMIUM, WEBGPU_FLAGS, ensureFakeCamera } from '../e2e/chromium';

/** A built page served by `vite preview` and a headless Chromium to open it; `close()` ends both. */
export interface ServedBrowser {
  /** `http://127.0.0.1:<port>/`, with the trailing slash. */
  origin: string;
  browser: Browser;
  close(): Promise<void>;
}

/** Serves `outDir` on 127.0.0.1:`port` (`configFile`: false for a bare page, else vite.config.ts's headers) and launches Chromium with `args`. */
async function serveAndLaunch(outDir: string, port: number, args: string[], configFile?: false): Promise<ServedBrowser> {
  const server = await preview({ ...(configFile === false ? { configFile, root: process.cwd() } : {}), build: { outDir }, preview: { port, strictPort: true, host: '127.0.0.1' }, logLevel: 'warn' });
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args });
  } catch (err) {
    server.httpServer.close();
    throw err;
  }
  return {
    // The port the server got (`port` 0: one the system picked).
    origin: `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/`,
    browser,
    close: async () => {
      await browser.close();
      server.httpServer.close();
    },
  };
}

/**
 * For the browser benchmarks: builds the app into `outDir`, serves it with `vite preview` and launches Debian's
 * Chromium with the fake camera and every backend available (the e2e tests' flags).
 */
export async function startBuiltApp(outDir: string, port: number): Promise<ServedBrowser> {
  ensureFakeCamera();
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], { stdio: 'inherit' });
  return serveAndLaunch(outDir, port, [...BASE_FLAGS, ...CAMERA_FLAGS, ...WEBGPU_FLAGS]);
}

/**
 * For a benchmark page of its own (not the app): builds the HTML entry `input` (a path from the repository root,
 * e.g. bench/table/index.html) with Vite's defaults — no PWA, no CSP; public/ (models, gallery) copied — into
 * `outDir`, serves it with `vite preview` on `port` (0: any free one) and launches Chromium with BASE_FLAGS plus `flags`. The page is then at
 * `origin + input`. Throws when the build fails or Chromium does not start.
 */
export async function startBuiltPage(input: string, outDir: string, port: number, flags: readonly string[]): Promise<ServedBrowser> {
  await build({
    configFile: false,
    root: process.cwd(),
    publicDir: 'public',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8192, rollupOptions: { input } },
  });
  return serveAndLaunch(outDir, port, [...BASE_FLAGS, ...flags], false);
}
