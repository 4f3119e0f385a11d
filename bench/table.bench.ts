/**
 * Before/after table of the fused gradient path (issue 13), in ONE run: for each live gradient view (saliency
 * vanilla, guided, SmoothGrad, Grad-CAM; activations as the forward reference) and each gradient path — composed
 * (before: stock ops on the tape) and fused (after, the default) — the kernels of one frame (tf.profile on the CPU
 * backend, of which Identity; kernels are the same on every backend) and the median ms per frame on
 *   - tfjs's CPU backend in Node (bench/kernel-count.ts, as bench:kernels),
 *   - WebGL on SwiftShader in headless Chromium (bench/table/page.ts, built with Vite into dist-table-bench/),
 *   - WebGPU through Dawn in Node (src/node/webgpu.ts: Vulkan where a GPU is, else OpenGL ES on Mesa llvmpipe),
 *     with the GPU dispatches of one frame (src/node/gpu-counters.ts).
 * In every backend the two paths take turns frame by frame (one warm-up frame each, then `--frames` frames), so
 * load from other processes hits them alike; backends run one after another. A backend that cannot start here
 * gives one line and empty cells. Asserts nothing (tests/kernels.test.ts and e2e/kernels.webgpu.spec.ts check).
 *
 *   npm run bench:table [-- --model lite|standard] [--frames N] [--json] [--port N] [--backends cpu,webgl,dawn]
 *
 * Text (a Markdown table) by default, JSON with `--json`; progress on stderr. Default: lite model, 5 frames.
 */
import * as tf from '@tensorflow/tfjs';
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { type ModelId, isModelId } from '../src/core/models';
import type { ConvNet, GradientPath } from '../src/core/network';
import { imageToTensor } from '../src/core/preprocess';
import { readImage } from '../src/node/image-io';
import { loadModel } from '../src/node/model-files';
import { GpuSetupError, describeAdapter, useDawnWebGpu } from '../src/node/webgpu';
import { CHROMIUM, SWIFTSHADER_WEBGL_FLAGS } from '../e2e/chromium';
import { type ServedBrowser, startBuiltPage } from './browser-app';
import { LIVE_KERNEL_VIEWS, type LiveKernelView, countFrameKernels, medianFrameMs } from './kernel-count';
import { argValue, fail, intArg, setupBackend } from './harness';
import type { PageSetup, PageTimes } from './table/page';

// ---------------------------------------------------------------------------------------------------- arguments

const json = process.argv.includes('--json');
const modelArg = argValue('--model') ?? 'lite';
if (!isModelId(modelArg)) fail(`--model must be lite or standard, got '${modelArg}'`);
const model: ModelId = modelArg;
const frames = intArg('--frames', 5, 1);
const port = intArg('--port', 0, 0);
const BACKENDS = ['cpu', 'webgl', 'dawn'] as const;
type Backend = (typeof BACKENDS)[number];
const wantedRaw = (argValue('--backends') ?? BACKENDS.join(',')).split(',');
const unknown = wantedRaw.filter((b) => !(BACKENDS as readonly string[]).includes(b));
if (unknown.length) fail(`--backends takes a comma-separated list of ${BACKENDS.join(', ')}; unknown: ${unknown.join(', ')}`);
const wanted = new Set(wantedRaw as Backend[]);

const started = performance.now();
const startedAt = new Date().toISOString();
const log = (line: string): void => void process.stderr.write(`[table ${((performance.now() - started) / 1000).toFixed(0)} s] ${line}\n`);
// With --json, stdout carries the JSON only (tfjs notices go to stderr).
if (json) console.log = console.error;

const PATHS: readonly GradientPath[] = ['composed', 'fused'];
const VIEWS: readonly LiveKernelView[] = LIVE_KERNEL_VIEWS.filter((v) => v.settings.view !== 'occlusion');
const PICTURE = new URL('../public/gallery/coffee.png', import.meta.url).pathname;
const oneLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

// ---------------------------------------------------------------------------------------------------- results

/** One row of the table: one view on one gradient path. Milliseconds are medians per frame; undefined: not measured. */
interface Row {
  view: string;
  path: GradientPath;
  kernels?: number;
  identity?: number;
  nonIdentity?: number;
  cpuMs?: number;
  /** CPU time of the Node process per frame on the CPU backend (user + system, ms; steadier under load). */
  cpuProcessMs?: number;
  webglMs?: number;
  dawnMs?: number;
  dispatches?: number;
  /** Per backend, why a cell is empty although the backend started. */
  errors: Record<string, string>;
}

/** A backend section: `note` says what ran (adapter, renderer) or, when `ok` is false, why it could not. */
interface Section {
  ok: boolean;
  note: string;
}

const rows: Row[] = VIEWS.flatMap((v) => PATHS.map((path) => ({ view: v.name, path, errors: {} })));
const rowOf = (view: string, path: GradientPath): Row => rows.find((r) => r.view === view && r.path === path)!;
const round = (x: number): number => Math.round(x * 10) / 10;
const sections = Object.fromEntries(BACKENDS.map((b) => [b, { ok: false, note: wanted.has(b) ? 'not run' : 'left out (--backends)' }])) as Record<Backend, Section>;
const loadStart = loadavg()[0]!;

// ---------------------------------------------------------------------------------------------------- CPU (Node)

async function cpuSection(): Promise<void> {
  await setupBackend();
  const net = await loadModel(model);
  const pixels = imageToTensor(await readImage(PICTURE));
  try {
    for (const view of VIEWS) {
      log(`cpu: ${view.name} (kernels, then ${frames} frames per path in turns)`);
      for (const path of PATHS) {
        const k = await countFrameKernels(net, pixels, view, path);
        Object.assign(rowOf(view.name, path), { kernels: k.kernels, identity: k.identity, nonIdentity: k.kernels - k.identity });
      }
      const ms = await medianFrameMs(net, pixels, view, frames, PATHS);
      for (const path of PATHS) Object.assign(rowOf(view.name, path), { cpuMs: round(ms[path].wallMs), cpuProcessMs: round(ms[path].cpuMs) });
    }
  } finally {
    pixels.dispose();
    net.dispose();
  }
  sections.cpu = { ok: true, note: `tfjs ${tf.version.tfjs} cpu backend, Node ${process.version}` };
}

// ---------------------------------------------------------------------------------------------------- WebGL (Chromium)

async function webglSection(): Promise<void> {
  let served: ServedBrowser;
  try {
    log('webgl: building bench/table/index.html into dist-table-bench/ and starting Chromium');
    served = await startBuiltPage('bench/table/index.html', 'dist-table-bench', port, SWIFTSHADER_WEBGL_FLAGS);
  } catch (err) {
    sections.webgl = { ok: false, note: `could not build the page or start headless Chromium (${CHROMIUM}): ${oneLine(err)}` };
    return;
  }
  try {
    const page: Page = await served.browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') log(`webgl page: ${m.text()}`);
    });
    await page.goto(`${served.origin}bench/table/index.html`);
    await page.waitForFunction(() => typeof window.tableBench === 'object', undefined, { timeout: 120_000 });
    let setup: PageSetup;
    try {
      setup = await page.evaluate((m) => window.tableBench.setup('webgl', m), model);
    } catch (err) {
      sections.webgl = { ok: false, note: `set-up on the webgl backend (backend, model, picture) failed in Chromium ${served.browser.version()}: ${oneLine(err)}` };
      return;
    }
    sections.webgl = { ok: true, note: `Chromium ${served.browser.version()} (headless, ${SWIFTSHADER_WEBGL_FLAGS.join(' ')}), tfjs webgl backend, renderer ${setup.renderer || 'not reported'}` };
    for (const view of VIEWS) {
      log(`webgl: ${view.name} (${frames} frames per path in turns)`);
      try {
        const ms: PageTimes = await page.evaluate(([v, n, p]) => window.tableBench.time(v, n, p), [view.name, frames, [...PATHS]] as const);
        for (const path of PATHS) rowOf(view.name, path).webglMs = ms[path] === undefined ? undefined : round(ms[path]);
      } catch (err) {
        for (const path of PATHS) rowOf(view.name, path).errors['webgl'] = oneLine(err);
        log(`webgl: ${view.name} failed: ${oneLine(err)}`);
      }
    }
  } finally {
    await served.close();
  }
}

// ---------------------------------------------------------------------------------------------------- Dawn (Node)

async function dawnSection(): Promise<void> {
  log('dawn: starting WebGPU through Dawn');
  let gpu: Awaited<ReturnType<typeof useDawnWebGpu>>;
  try {
    gpu = await useDawnWebGpu('auto');
  } catch (err) {
    sections.dawn = { ok: false, note: err instanceof GpuSetupError ? err.message : `Dawn did not start: ${oneLine(err)}` };
    return;
  }
  tf.enableProdMode();
  const backendName = gpu.backend === 'opengles' ? 'OpenGL ES' : 'default (Vulkan)';
  sections.dawn = { ok: true, note: `tfjs webgpu backend, Dawn ${backendName} backend, feature level ${gpu.featureLevel}, adapter ${describeAdapter(gpu.adapter)}` };
  const net: ConvNet = await loadModel(model);
  const pixels = imageToTensor(await readImage(PICTURE));
  const dispatches = (): number => gpu.counters.read().dispatches;
  try {
    for (const view of VIEWS) {
      log(`dawn: ${view.name} (${frames} frames per path in turns)`);
      try {
        const ms = await medianFrameMs(net, pixels, view, frames, PATHS, dispatches);
        for (const path of PATHS) Object.assign(rowOf(view.name, path), { dawnMs: round(ms[path].wallMs), dispatches: ms[path].counted });
      } catch (err) {
        for (const path of PATHS) rowOf(view.name, path).errors['dawn'] = oneLine(err);
        log(`dawn: ${view.name} failed: ${oneLine(err)}`);
      }
    }
  } finally {
    pixels.dispose();
    net.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------- run

// The CPU part first (it needs no set-up), then the browser, then Dawn (it takes tfjs over for the process).
for (const [name, run] of [['cpu', cpuSection], ['webgl', webglSection], ['dawn', dawnSection]] as const) {
  if (!wanted.has(name)) continue;
  try {
    await run();
  } catch (err) {
    sections[name] = { ok: false, note: `failed: ${oneLine(err)}` };
    log(`${name}: failed: ${oneLine(err)}`);
  }
}
const seconds = Math.round((performance.now() - started) / 1000);
log(`done in ${seconds} s`);

// ---------------------------------------------------------------------------------------------------- output

const meta = {
  /** When the run started. */
  date: startedAt,
  model,
  framesTimed: frames,
  warmUpFramesPerPath: 1,
  picture: 'public/gallery/coffee.png',
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', loadAverage1m: { start: round(loadStart), end: round(loadavg()[0]!) } },
  seconds,
  command: `npm run bench:table -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, ''),
};

if (json) {
  process.stdout.write(`${JSON.stringify({ meta, sections, rows }, null, 2)}\n`);
} else {
  const cell = (section: keyof typeof sections, r: Row, v: number | undefined): string => {
    if (!sections[section].ok) return 'n/a';
    if (r.errors[section]) return 'failed';
    return v === undefined ? '–' : String(v);
  };
  const header = ['view', 'path', 'kernels (non-Identity)', 'Identity', 'CPU ms/frame (Node)', 'SwiftShader WebGL ms/frame (headless Chromium)', 'Dawn llvmpipe ms/frame (Node)', 'GPU dispatches (Dawn)'];
  const body = rows.map((r) => [
    r.view,
    r.path === 'composed' ? 'composed (before)' : 'fused (after)',
    cell('cpu', r, r.nonIdentity),
    cell('cpu', r, r.identity),
    cell('cpu', r, r.cpuMs),
    cell('webgl', r, r.webglMs),
    cell('dawn', r, r.dawnMs),
    cell('dawn', r, r.dispatches),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((v, c) => (c < 2 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join(' | ')} |`;
  console.log(`bench:table — started ${meta.date}, model ${model}, median of ${frames} frame(s) per view and path after 1 warm-up frame each, paths in turns; picture ${meta.picture}`);
  console.log(`machine: ${meta.machine.cpus} × ${meta.machine.cpuModel}, load average (1 min) ${meta.machine.loadAverage1m.start} at the start, ${meta.machine.loadAverage1m.end} at the end; run took ${seconds} s`);
  for (const [name, s] of Object.entries(sections)) console.log(`${name}: ${s.ok ? s.note : `NOT MEASURED — ${s.note}`}`);
  console.log('kernels: tf.profile entries of one frame on the CPU backend (the same kernels run on every backend); dispatches: per frame, counted on Dawn.\n');
  console.log(line(header));
  console.log(`|${widths.map((w, c) => (c < 2 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
  for (const r of rows) for (const [s, e] of Object.entries(r.errors)) console.log(`${r.view} / ${r.path} on ${s}: ${e}`);
  // fused ÷ composed per measure: what the fused path changes, as ratios (the only thing software renderers tell).
  console.log('\nfused ÷ composed:');
  for (const view of VIEWS) {
    const c = rowOf(view.name, 'composed');
    const f = rowOf(view.name, 'fused');
    const ratio = (a: number | undefined, b: number | undefined): string => (a && b !== undefined ? (b / a).toFixed(2) : '–');
    console.log(`  ${view.name}: kernels ${ratio(c.nonIdentity, f.nonIdentity)}, CPU ${ratio(c.cpuMs, f.cpuMs)}, WebGL ${ratio(c.webglMs, f.webglMs)}, Dawn ${ratio(c.dawnMs, f.dawnMs)}, dispatches ${ratio(c.dispatches, f.dispatches)}`);
  }
}
// Dawn keeps the process alive while a device exists: end it once the figures are out.
process.exit(0);
