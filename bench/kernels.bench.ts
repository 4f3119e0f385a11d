/**
 * Kernels per live frame (issue 13): for each live view and model, the kernels one `LivePipeline.process` call runs
 * (of which Identity), counted with tf.profile on the CPU backend, and the median ms per frame on the CPU backend in
 * Node (wall-clock and this process's CPU time) — for the composed gradient path (the reference, what the app ran before the fused path) and the fused one
 * (the default). The two paths are timed in turns, frame by frame, in the same run.
 * Prints a text table, or JSON with `--json`. `--model lite|standard` picks one model, `--frames N` sets the frames
 * timed per view and path (default 5), `--kernels` adds each row's kernels by name. Asserts nothing
 * (tests/kernels.test.ts keeps the count under the goal).
 */
import type { GradientPath } from '../src/core/network';
import { imageToTensor } from '../src/core/preprocess';
import { readImage } from '../src/node/image-io';
import { loadModel } from '../src/node/model-files';
import { LIVE_KERNEL_VIEWS, countFrameKernels, medianFrameMs } from './kernel-count';
import { modelsFromArgs, setupBackend, table } from './harness';

interface Row {
  model: string;
  view: string;
  path: GradientPath;
  kernels: number;
  identity: number;
  nonIdentity: number;
  /** Median wall-clock ms per frame. */
  medianMs: number;
  /** Median CPU ms per frame of this process (user + system). */
  medianCpuMs: number;
  byName?: Record<string, number>;
}

const PATHS: readonly GradientPath[] = ['composed', 'fused'];
const json = process.argv.includes('--json');
const withNames = process.argv.includes('--kernels');
const framesArg = process.argv.indexOf('--frames');
const frames = framesArg >= 0 ? Number(process.argv[framesArg + 1]) : 5;
if (!Number.isInteger(frames) || frames < 1) {
  console.error(`--frames needs a positive integer, got '${process.argv[framesArg + 1]}'`);
  process.exit(2);
}

await setupBackend();
const pixels = imageToTensor(await readImage(new URL('../public/gallery/coffee.png', import.meta.url).pathname));
const rows: Row[] = [];
for (const model of modelsFromArgs()) {
  const net = await loadModel(model);
  for (const view of LIVE_KERNEL_VIEWS) {
    // Forward-only views run the same kernels on either path: time them once.
    const paths = view.gradient ? PATHS : (['fused'] as const);
    const ms = await medianFrameMs(net, pixels, view, frames, paths);
    for (const path of paths) {
      const counted = await countFrameKernels(net, pixels, view, path);
      rows.push({
        model,
        view: view.name,
        path,
        kernels: counted.kernels,
        identity: counted.identity,
        nonIdentity: counted.kernels - counted.identity,
        medianMs: Math.round(ms[path].wallMs * 10) / 10,
        medianCpuMs: Math.round(ms[path].cpuMs * 10) / 10,
        ...(withNames ? { byName: Object.fromEntries(counted.byName) } : {}),
      });
    }
    if (!json) process.stderr.write('.');
  }
  net.dispose();
}
pixels.dispose();

if (json) {
  console.log(JSON.stringify({ backend: 'cpu', framesTimed: frames, rows }, null, 2));
} else {
  process.stderr.write('\n');
  console.log(`Kernels per live frame (tf.profile entries, CPU backend) and median ms per frame over ${frames} frames (CPU backend, Node):`);
  console.log('wall-clock, and CPU time of this process (user + system; steadier when other processes load the machine).');
  console.log('Gradient views on both paths: composed = the reference (stock ops on the tape), fused = the default.\n');
  const cell = (r: Row | undefined, f: (r: Row) => string): string => (r ? f(r) : '—');
  const find = (model: string, view: string, path: GradientPath): Row | undefined => rows.find((r) => r.model === model && r.view === view && r.path === path);
  const keys = [...new Map(rows.map((r) => [`${r.model}/${r.view}`, r])).values()];
  console.log(
    table([
      ['model', 'live view', 'kernels composed', 'kernels fused', 'Identity composed', 'Identity fused', 'ms composed', 'ms fused', 'CPU ms composed', 'CPU ms fused'],
      ...keys.map((k) => {
        const c = find(k.model, k.view, 'composed');
        const f = find(k.model, k.view, 'fused');
        const ms = (r: Row): string => r.medianMs.toFixed(1);
        const cpu = (r: Row): string => r.medianCpuMs.toFixed(1);
        return [k.model, k.view, cell(c, (r) => String(r.kernels)), cell(f, (r) => String(r.kernels)), cell(c, (r) => String(r.identity)), cell(f, (r) => String(r.identity)), cell(c, ms), cell(f, ms), cell(c, cpu), cell(f, cpu)];
      }),
    ]),
  );
  if (withNames) {
    for (const r of rows) console.log(`\n${r.model} / ${r.view} / ${r.path}: ${Object.entries(r.byName!).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
}
