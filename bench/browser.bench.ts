/**
 * Browser benchmark: the built app in headless Debian Chromium with a fake camera, per backend — time from page
 * load to the first live overlay (cold context, then warm reload), live frames/s and per-stage ms for the
 * activation, saliency and occlusion views, seconds to a full live occlusion map, main-thread long tasks during
 * live mode, and the in-worker micro-benchmarks (one pass with taps vs separate passes, batched vs one-by-one
 * occlusion). Prints figures; asserts nothing.
 * Backends: webgpu, webgl, `cpu` (forward passes on the WASM twin, as the app runs on CPU) and `cpu-only`
 * (`?wasm=0`: everything on tfjs's CPU backend, as before the WASM twin), all in the same run.
 *   npm run bench:browser [-- --model lite|standard] [-- --backends webgpu,webgl,cpu,cpu-only] [-- --seconds 8]
 */
import type { Page } from 'playwright-core';
import { startBuiltApp } from './browser-app';
import type { ConvLensState } from '../src/ui/convlens-app';
import { table } from './harness';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const model = arg('model', 'lite');
const backends = arg('backends', 'webgpu,webgl,cpu,cpu-only').split(',');
const liveSeconds = Number(arg('seconds', '8'));

const app = await startBuiltApp('dist-bench', 4176);
const { browser } = app;
const origin = app.origin;

const state = (page: Page): Promise<ConvLensState> => page.evaluate(() => window.convlens.state());

async function firstOverlayMs(page: Page, url: string, reload: boolean): Promise<number> {
  const t0 = Date.now();
  if (reload) await page.reload();
  else await page.goto(url);
  await page.waitForFunction(() => (window.convlens?.state().frames ?? 0) >= 1, null, { timeout: 600_000, polling: 50 });
  return Date.now() - t0;
}

const rows: (string | number)[][] = [['backend', 'measure', 'value']];
for (const backend of backends) {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
  });
  const page = await context.newPage();
  const tfBackend = backend === 'cpu-only' ? 'cpu' : backend;
  const url = `${origin}?model=${model}&backend=${tfBackend}&view=saliency${backend === 'cpu-only' ? '&wasm=0' : ''}`;
  try {
    rows.push([backend, 'first overlay, cold (ms)', await firstOverlayMs(page, url, false)]);
    rows.push([backend, 'first overlay, warm reload (ms)', await firstOverlayMs(page, url, true)]);
    const started = await state(page);
    if (started.backend !== tfBackend) throw new Error(`asked for ${tfBackend}, got ${started.backend}`);
    const forward = started.forward;
    rows.push([backend, 'forward passes on', forward ? `wasm (SIMD ${forward.simd}, ${forward.threads} threads, isolated ${forward.isolated})` : tfBackend]);
    for (const [key, view] of [['1', 'activations'], ['2', 'saliency'], ['4', 'occlusion']] as const) {
      if (view === 'occlusion') {
        // The fake camera shows one still picture: the sweep runs to a full map without starting over. Frames/s
        // while it sweeps (each frame: the forward pass + one budget-sized batch of occluded copies).
        const t0 = Date.now();
        const framesBefore = (await state(page)).frames;
        await page.keyboard.press(key);
        await page.waitForFunction(() => window.convlens.state().occlusionProgress === 1, null, { timeout: 600_000, polling: 100 });
        const seconds = (Date.now() - t0) / 1000;
        const after = await state(page);
        rows.push([backend, 'occlusion: s to a full live map', Math.round(seconds * 10) / 10]);
        rows.push([backend, 'occlusion: frames/s while sweeping', Math.round(((after.frames - framesBefore) / seconds) * 100) / 100]);
        rows.push([backend, 'occlusion: stages (ms)', JSON.stringify(after.stages)]);
        continue;
      }
      await page.keyboard.press(key);
      await page.waitForTimeout(1500);
      await page.evaluate(() => ((window as unknown as { longTasks: number[] }).longTasks.length = 0));
      const before = await state(page);
      await page.waitForTimeout(liveSeconds * 1000);
      const after = await state(page);
      const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
      const fps = (after.frames - before.frames) / liveSeconds;
      rows.push([backend, `${view}: frames/s`, Math.round(fps * 100) / 100]);
      rows.push([backend, `${view}: stages (ms)`, JSON.stringify(after.stages)]);
      rows.push([backend, `${view}: main-thread long tasks`, `${longTasks.length} (longest ${Math.round(Math.max(0, ...longTasks))} ms)`]);
    }
    const figures = await page.evaluate(() => window.convlens.bench());
    for (const [k, v] of Object.entries(figures)) rows.push([backend, `worker: ${k}`, Math.round(v * 100) / 100]);
  } catch (err) {
    rows.push([backend, 'error', (err as Error).message.split('\n')[0]!]);
  }
  await context.close();
}
await app.close();
console.log(`\n== browser benchmark, model ${model}, headless Chromium (SwiftShader: no GPU on this machine)`);
console.log(table(rows));
