/**
 * Memory soak: the built app in headless Debian Chromium with the fake camera, N live frames (default 2,000) on one
 * backend (default CPU, lite model), cycling through the live views in every block of 100 frames (activations,
 * saliency vanilla / guided / SmoothGrad, Grad-CAM, occlusion). After every block it forces a garbage collection
 * in the page and in the inference worker (Chrome DevTools Protocol: HeapProfiler.collectGarbage; the worker is
 * reached through its own DevTools target) and samples
 *   - the worker's tf.memory() (numTensors, numBytes; from the frame replies, window.convlens.state()),
 *   - the page's and the worker's JS heap (Runtime.getHeapUsage: usedSize, and ArrayBuffer backing store).
 * Prints one row per sample, then first / last / max and growth per 1,000 frames. Asserts nothing; a leak shows as
 * numTensors climbing or heaps growing steadily.
 *   npm run bench:soak [-- --frames 2000] [-- --backend cpu|webgl|webgpu] [-- --model lite|standard] [-- --every 100]
 */
import type { CDPSession, Page } from 'playwright-core';
import { startBuiltApp } from './browser-app';
import type { ConvLensState } from '../src/ui/convlens-app';
import { table } from './harness';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const model = arg('model', 'lite');
const backend = arg('backend', 'cpu');
const totalFrames = Number(arg('frames', '2000'));
const every = Number(arg('every', '100'));
const port = Number(arg('port', '4177'));
const outDir = 'dist-soak';

// One block of `every` frames: every live view, in these shares.
const SEGMENTS = [
  { name: 'activations', tab: 'Activations', share: 0.2 },
  { name: 'saliency vanilla', tab: 'Saliency', method: 'vanilla', share: 0.16 },
  { name: 'saliency guided', tab: 'Saliency', method: 'guided', share: 0.16 },
  { name: 'saliency smoothgrad', tab: 'Saliency', method: 'smoothgrad', share: 0.16 },
  { name: 'gradcam', tab: 'Grad-CAM', share: 0.16 },
  { name: 'occlusion', tab: 'Occlusion', share: 0.16 },
] as const;

const app = await startBuiltApp(outDir, port);
const { browser } = app;
// No service worker: its precache would add its own memory and fetches to the figures.
const context = await browser.newContext({ serviceWorkers: 'block' });
const page = await context.newPage();
const state = (): Promise<ConvLensState> => page.evaluate(() => window.convlens.state());

interface HeapUsage {
  usedSize: number;
  totalSize: number;
  backingStorageSize?: number;
}

/** The worker's DevTools target, driven through the browser session (Target.sendMessageToTarget). */
async function workerDevTools(browserSession: CDPSession): Promise<(method: string) => Promise<unknown>> {
  const { targetInfos } = (await browserSession.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
  const target = targetInfos.find((t) => t.type === 'worker' && t.url.includes('inference.worker'));
  if (!target) throw new Error(`no inference worker target among ${targetInfos.map((t) => t.type).join(', ')}`);
  const { sessionId } = (await browserSession.send('Target.attachToTarget', { targetId: target.targetId, flatten: false })) as { sessionId: string };
  const waiting = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  browserSession.on('Target.receivedMessageFromTarget', (event: { sessionId: string; message: string }) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: { message: string } };
    const resolve = message.id === undefined ? undefined : waiting.get(message.id);
    if (!resolve) return;
    waiting.delete(message.id!);
    resolve(message.error ? new Error(message.error.message) : message.result);
  });
  return (method) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (value) => (value instanceof Error ? reject(value) : resolve(value)));
      void browserSession.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) });
    });
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 100) / 100;

async function waitFrames(p: Page, n: number): Promise<void> {
  await p.waitForFunction((target) => window.convlens.state().frames >= target, n, { timeout: 600_000, polling: 100 });
}

async function setSegment(segment: (typeof SEGMENTS)[number]): Promise<void> {
  await page.getByRole('tab', { name: segment.tab, exact: true }).click();
  if ('method' in segment) await page.getByLabel('Method').selectOption(segment.method);
}

const url = `http://127.0.0.1:${port}/?model=${model}&backend=${backend}`;
const t0 = Date.now();
await page.goto(url);
await waitFrames(page, 1);
const ready = await state();
if (ready.backend !== backend) throw new Error(`asked for ${backend}, got ${ready.backend}`);
const pageDevTools = await context.newCDPSession(page);
const workerSend = await workerDevTools(await browser.newBrowserCDPSession());
const startFrames = ready.frames;
const startedAt = Date.now();
console.log(`soak: ${totalFrames} frames, ${model} on ${backend}, first frame after ${Date.now() - t0} ms; sampling every ${every} frames`);

interface Sample {
  frames: number;
  seconds: number;
  numTensors: number;
  numBytes: number;
  pageHeap: number;
  pageBuffers: number;
  workerHeap: number;
  workerBuffers: number;
}
const samples: Sample[] = [];
const perView = new Map<string, { frames: number; ms: number }>();

for (let block = 0; block * every < totalFrames; block++) {
  for (const segment of SEGMENTS) {
    const s0 = await state();
    const target = startFrames + block * every + Math.round(every * SEGMENTS.slice(0, SEGMENTS.indexOf(segment) + 1).reduce((n, x) => n + x.share, 0));
    const t = Date.now();
    await setSegment(segment);
    await waitFrames(page, target);
    const s1 = await state();
    const v = perView.get(segment.name) ?? { frames: 0, ms: 0 };
    perView.set(segment.name, { frames: v.frames + s1.frames - s0.frames, ms: v.ms + Date.now() - t });
  }
  await pageDevTools.send('HeapProfiler.collectGarbage');
  await workerSend('HeapProfiler.collectGarbage');
  const pageHeap = (await pageDevTools.send('Runtime.getHeapUsage')) as HeapUsage;
  const workerHeap = (await workerSend('Runtime.getHeapUsage')) as HeapUsage;
  const s = await state();
  if (!s.workerMemory) throw new Error('no worker memory in state()');
  if (s.error) console.warn(`frame ${s.frames - startFrames}: ${s.error}`);
  samples.push({
    frames: s.frames - startFrames,
    seconds: (Date.now() - startedAt) / 1000,
    numTensors: s.workerMemory.numTensors,
    numBytes: s.workerMemory.numBytes,
    pageHeap: pageHeap.usedSize,
    pageBuffers: pageHeap.backingStorageSize ?? 0,
    workerHeap: workerHeap.usedSize,
    workerBuffers: workerHeap.backingStorageSize ?? 0,
  });
  const last = samples.at(-1)!;
  console.log(`  ${last.frames} frames, ${Math.round(last.seconds)} s: ${last.numTensors} tensors, worker heap ${mb(last.workerHeap)} MB, page heap ${mb(last.pageHeap)} MB`);
}
const final = await state();
const seconds = (Date.now() - startedAt) / 1000;
await app.close();

/** Least-squares slope per 1,000 frames (robust to one noisy sample, unlike last − first). */
function slopePer1000(key: keyof Sample): number {
  const xs = samples.map((s) => s.frames);
  const ys = samples.map((s) => s[key]);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : (1000 * sxy) / sxx;
}

const rows: (string | number)[][] = [['frames', 'seconds', 'numTensors', 'numBytes MB', 'page heap MB', 'page ArrayBuffers MB', 'worker heap MB', 'worker ArrayBuffers MB']];
for (const s of samples) rows.push([s.frames, Math.round(s.seconds), s.numTensors, mb(s.numBytes), mb(s.pageHeap), mb(s.pageBuffers), mb(s.workerHeap), mb(s.workerBuffers)]);
console.log(`\n== memory soak: ${model} on ${backend}, ${final.frames - startFrames} frames in ${Math.round(seconds)} s (${((final.frames - startFrames) / seconds).toFixed(2)} frames/s), headless Chromium`);
console.log(table(rows));

const summary: (string | number)[][] = [['measure', 'first', 'last', 'max', 'growth / 1,000 frames (fit)', 'last − first']];
const fmt = (key: keyof Sample, scale: (n: number) => number): void => {
  const values = samples.map((s) => s[key]);
  const r = (n: number): number => Math.round(scale(n) * 1000) / 1000;
  summary.push([key, r(values[0]!), r(values.at(-1)!), r(Math.max(...values)), r(slopePer1000(key)), r(values.at(-1)! - values[0]!)]);
};
fmt('numTensors', (n) => n);
fmt('numBytes', mb);
fmt('pageHeap', mb);
fmt('pageBuffers', mb);
fmt('workerHeap', mb);
fmt('workerBuffers', mb);
console.log('\n(MB for bytes and heaps)');
console.log(table(summary));

const viewRows: (string | number)[][] = [['view', 'frames', 'frames/s']];
for (const [name, v] of perView) viewRows.push([name, v.frames, Math.round((v.frames / (v.ms / 1000)) * 100) / 100]);
console.log(`\n${table(viewRows)}`);
