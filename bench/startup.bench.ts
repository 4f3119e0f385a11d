/**
 * Start-up benchmark: the built app opened as a new user would (no URL parameters unless given, a fresh browser
 * profile, every backend available: the e2e flags with WebGPU on SwiftShader), in headless Debian Chromium with the
 * fake camera. Prints the time to the first top-5, the backend and model the app chose (and why, from the status
 * line), then live frames/s of the activation, saliency (gradient, SmoothGrad) and Grad-CAM views. Asserts nothing.
 *   npm run bench:start [-- --query "?model=lite"] [-- --seconds 10] [-- --port 4177] [-- --out dist-bench-start]
 */
import type { Page } from 'playwright-core';
import { startBuiltApp } from './browser-app';
import type { ConvLensState } from '../src/ui/convlens-app';
import { table } from './harness';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const query = arg('query', '');
const liveSeconds = Number(arg('seconds', '10'));
const app = await startBuiltApp(arg('out', 'dist-bench-start'), Number(arg('port', '4177')));
const state = (page: Page): Promise<ConvLensState> => page.evaluate(() => window.convlens.state());

const rows: (string | number)[][] = [['measure', 'value']];
const context = await app.browser.newContext();
const page = await context.newPage();
try {
  const t0 = Date.now();
  await page.goto(`${app.origin}${query}`);
  await page.waitForFunction(() => (window.convlens?.state().top5.length ?? 0) > 0, null, { timeout: 600_000, polling: 100 });
  rows.push(['time to first top-5 (ms)', Date.now() - t0]);
  const s = await state(page);
  rows.push(['backend', String(s.backend)], ['model', s.model], ['top-1', s.top5[0]?.label ?? '']);
  rows.push(['status', (await page.locator('header [role=status]').textContent()) ?? '']);
  const views: [string, string, string | undefined][] = [
    ['activations', 'Activations', undefined],
    ['saliency (gradient)', 'Saliency', undefined],
    ['saliency (SmoothGrad)', 'Saliency', 'smoothgrad'],
    ['Grad-CAM', 'Grad-CAM', undefined],
  ];
  for (const [name, tab, saliency] of views) {
    await page.getByRole('tab', { name: tab }).click();
    if (saliency) await page.getByRole('button', { name: 'SmoothGrad', exact: true }).click();
    // The first frame of a view compiles its kernels: wait for two frames before timing.
    const settled = (await state(page)).frames + 2;
    await page.waitForFunction((n) => window.convlens.state().frames >= n, settled, { timeout: 300_000, polling: 100 });
    const before = await state(page);
    const tb = Date.now();
    await page.waitForTimeout(liveSeconds * 1000);
    const after = await state(page);
    const fps = (after.frames - before.frames) / ((Date.now() - tb) / 1000);
    rows.push([`${name}: frames/s`, Math.round(fps * 100) / 100], [`${name}: last frame (ms)`, after.lastFrameMs]);
  }
} catch (err) {
  rows.push(['error', (err as Error).message.split('\n')[0]!]);
}
await context.close();
await app.close();
console.log(`\n== start-up benchmark: ${app.origin}${query} (fresh profile, headless Chromium, WebGPU on SwiftShader, no GPU)`);
console.log(table(rows));
