/**
 * GPU benchmark (issue 13): the live pipeline, the batched occlusion step and one step of each optimisation mode
 * on TensorFlow.js's WebGPU backend in Node, through Dawn (the `webgpu` npm package), for each model. Per case it
 * prints the median wall time per frame after warm-up (readbacks included: `await data()`, what the live view
 * pays), the kernels of one frame (tf.profile's kernel list), and the GPU dispatches, queue submits and readbacks
 * of one frame (counted on Dawn's classes, see src/node/gpu-counters.ts), then the forward / gradient ratio
 * (activations frame against vanilla saliency frame). Asserts nothing (tests check correctness).
 *
 *   npm run bench:gpu -- [--model lite|standard] [--json] [--frames N] [--warmup N] [--only REGEX]
 *                        [--path fused|composed]   (the gradient path: fused is the default, composed the reference)
 *                        [--backend auto|vulkan|opengles] [--image file.png]
 *
 * Frames timed per case: 30 after 5 warm-up frames on a hardware adapter, 5 after 2 on a software one.
 * Dawn backend: 'auto' takes Dawn's default (Vulkan) when it gives an adapter, else OpenGL ES on Mesa llvmpipe
 * (software; see src/node/webgpu.ts). On a software adapter only ratios and counts mean anything.
 * `npm run bench:gpu:pack` (scripts/pack-gpu-bench.mjs) bundles this file into a folder that runs without npm.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { OcclusionSweep } from '../src/core/attribution/occlusion';
import { DEFAULT_LIVE_SETTINGS, type LiveSettings, LivePipeline } from '../src/core/live/pipeline';
import { type ModelId, isModelId } from '../src/core/models';
import { type ConvNet, type GradientPath, disposeTaps } from '../src/core/network';
import { DEEPFOOL_DEFAULTS, FOOL_DEFAULTS, UAP_GALLERY_JOB } from '../src/core/optimize/defaults';
import { optimize, type OptimizeSpec } from '../src/core/optimize/engine';
import { classLogit, crossEntropy, featureDistance, logitMargins, objectiveFor } from '../src/core/optimize/objectives';
import { linfBall, pixelRange } from '../src/core/optimize/projections';
import { deepFoolStep, signAscent } from '../src/core/optimize/steps';
import { pixelsToModel } from '../src/core/optimize/units';
import { runPreset } from '../src/core/optimize/visualize';
import { type RgbaImage, imageToModelInput, imageToTensor } from '../src/core/preprocess';
import { countsBetween, type GpuCounts } from '../src/node/gpu-counters';
import { loadModel, modelsRoot } from '../src/node/model-files';
import { type DawnBackendChoice, GpuSetupError, describeAdapter, useDawnWebGpu } from '../src/node/webgpu';
import { argValue, fail, intArg, table } from './harness';

// ---------------------------------------------------------------------------------------------------- arguments

const json = process.argv.includes('--json');
// Defaults depend on the adapter (software frames take seconds): set once the adapter is known.
const framesArg = argValue('--frames') === undefined ? undefined : intArg('--frames', 0, 1);
const warmupArg = argValue('--warmup') === undefined ? undefined : intArg('--warmup', 0, 1);
const modelArg = argValue('--model');
if (modelArg !== undefined && !isModelId(modelArg)) fail(`--model must be lite or standard, got '${modelArg}'`);
const models: ModelId[] = modelArg ? [modelArg as ModelId] : ['lite', 'standard'];
const backendArg = argValue('--backend') ?? 'auto';
const pathArg = argValue('--path') ?? 'fused';
if (pathArg !== 'fused' && pathArg !== 'composed') fail(`--path must be fused or composed, got '${pathArg}'`);
const gradientPath: GradientPath = pathArg;
const BACKENDS: Record<string, DawnBackendChoice> = { auto: 'auto', vulkan: 'default', default: 'default', opengles: 'opengles', gl: 'opengles' };
const backendChoice = BACKENDS[backendArg] ?? fail(`--backend must be auto, vulkan or opengles, got '${backendArg}'`);
let only: RegExp | undefined;
try {
  const raw = argValue('--only');
  only = raw === undefined ? undefined : new RegExp(raw, 'i');
} catch (err) {
  fail(`--only is not a regular expression: ${(err as Error).message}`);
}
const imagePath = argValue('--image') ?? process.env['CONVLENS_BENCH_IMAGE'] ?? new URL('../public/gallery/coffee.png', import.meta.url).pathname;

// With --json, stdout carries the JSON only: everything else (tfjs notices, progress) goes to stderr.
const log = (line: string): void => void process.stderr.write(`${line}\n`);
if (json) console.log = console.error;

// ---------------------------------------------------------------------------------------------------- set-up

function readPng(path: string): RgbaImage {
  let png: PNG;
  try {
    png = PNG.sync.read(readFileSync(path));
  } catch (err) {
    fail(`cannot read the benchmark picture ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

const photo = readPng(imagePath);
let gpu: Awaited<ReturnType<typeof useDawnWebGpu>>;
try {
  gpu = await useDawnWebGpu(backendChoice);
} catch (err) {
  if (err instanceof GpuSetupError) fail(err.message);
  throw err;
}
tf.enableProdMode();
const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
void device?.lost.then((info) => log(`GPU device lost (${info.reason}): ${info.message}`));
const { counters } = gpu;

const software = gpu.adapter.software;
const frames = framesArg ?? (software ? 5 : 30);
const warmup = warmupArg ?? (software ? 2 : 5);
const header = [
  `GPU benchmark: TensorFlow.js ${tf.version.tfjs} webgpu backend in Node ${process.version}, Dawn ${gpu.backend === 'opengles' ? 'OpenGL ES' : 'default (Vulkan)'} backend, feature level ${gpu.featureLevel}, gradient path ${gradientPath}`,
  `adapter: ${describeAdapter(gpu.adapter)}`,
  ...gpu.attempts.slice(0, -1).map((a) => `  (tried ${a})`),
  software
    ? 'SOFTWARE RENDERER: the GPU is emulated on the CPU, so the milliseconds say nothing about a real GPU; only the ratios and the counts mean anything.'
    : 'hardware adapter.',
  `picture ${imagePath.split('/').pop()} (${photo.width}×${photo.height}); median of ${frames} frame(s) after ${warmup} warm-up frame(s); readbacks (await data()) included in every frame.`,
];
// Text mode prints the header on stdout now; JSON mode keeps stdout for the JSON.
for (const line of header) (json ? log : console.log)(line);

// ---------------------------------------------------------------------------------------------------- cases

type Group = 'live' | 'occlusion' | 'optimize';

/** One thing to time: `frame` is timed; `before` (untimed) prepares the next frame. */
interface Case {
  name: string;
  group: Group;
  /** What one timed frame is, for the JSON. */
  note: string;
  before?: () => Promise<void>;
  frame: () => Promise<void>;
  dispose?: () => void;
}

/** A live view: one `LivePipeline.process` call on a fresh copy of the picture (the upload a camera frame costs). */
function liveCase(net: ConvNet, name: string, settings: Partial<LiveSettings>): Case {
  const pipeline = new LivePipeline(net);
  const full: LiveSettings = { ...DEFAULT_LIVE_SETTINGS, ...settings };
  const occlusion = full.view === 'occlusion';
  return {
    name,
    group: 'live',
    note: occlusion
      ? `LivePipeline.process, view occlusion after a scene change: forward pass, new sweep and its first batch of ${full.occlusion.batchSize} (baseline included)`
      : `LivePipeline.process, view ${full.view}${full.view === 'saliency' ? ` (${full.saliency})` : ''}, layer ${full.layer}`,
    // Later occlusion frames check the scene change with dataSync(), which tfjs-backend-webgpu serves through an
    // OffscreenCanvas (none in Node): each timed frame starts a sweep instead (same batch shape, no sync read).
    before: occlusion ? async () => pipeline.resetOcclusion() : undefined,
    frame: async () => {
      const pixels = imageToTensor(photo);
      try {
        await pipeline.process(pixels, full);
      } finally {
        pixels.dispose();
      }
    },
    dispose: () => pipeline.dispose(),
  };
}

/** `OcclusionSweep.step` alone: one batch of occluded copies through the forward pass, scores read back. */
function occlusionCase(net: ConvNet, input: tf.Tensor4D, batchSize: number, label: string): Case {
  const o = DEFAULT_LIVE_SETTINGS.occlusion;
  let sweep: OcclusionSweep | undefined;
  const start = (): OcclusionSweep =>
    new OcclusionSweep(net, { tensor: input, crop: { x: 0, y: 0, width: 1, height: 1 } }, { target: { kind: 'class', index: 967 }, patch: o.patch, stride: o.stride, batchSize });
  return {
    name: `occlusion step, batch ${batchSize} (${label})`,
    group: 'occlusion',
    note: `OcclusionSweep.step: patch ${o.patch}, stride ${o.stride}, up to ${batchSize} occluded copies per pass`,
    before: async () => {
      if (sweep?.done) {
        sweep.dispose();
        sweep = undefined;
      }
      sweep ??= start();
    },
    frame: async () => sweep!.step(),
    dispose: () => sweep?.dispose(),
  };
}

/** One `optimize` step in a mode's configuration, then the image read back. */
function stepCase(name: string, note: string, run: () => Promise<tf.Tensor>): Case {
  return {
    name,
    group: 'optimize',
    note,
    frame: async () => {
      const image = await run();
      await image.data();
      image.dispose();
    },
  };
}

/** Reads logits in the step like the fooling and attack modes' stop checks do (they stop on a class change). */
const readLogits: OptimizeSpec['stopWhen'] = async ({ taps }) => {
  await taps.logits!.data();
  return false;
};

async function optimizeCases(net: ConvNet, input: tf.Tensor4D, layer: string): Promise<{ cases: Case[]; dispose: () => void }> {
  // Feature inversion's objective reads the target's norm with dataSync() (objectives.ts), which the webgpu
  // backend cannot serve in Node: the target features are built on the CPU backend (moved to the GPU at first use).
  const taps = net.run(input, { layers: [layer], logits: true });
  const [features, logits] = await Promise.all([taps.activations[layer]!.data(), taps.logits!.data()]);
  const shape = taps.activations[layer]!.shape;
  disposeTaps(taps);
  await tf.setBackend('cpu');
  const target = tf.tensor(features, shape);
  const inversion = featureDistance(net, layer, target);
  await tf.setBackend('webgpu');
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!);
  const label = order[0]!;
  const others = order.slice(1, DEEPFOOL_DEFAULTS.candidates);
  const eps = FOOL_DEFAULTS.eps;
  const cases: Case[] = [
    stepCase('class visualisation step (l2)', 'runPreset(classLogit 130), default preset l2, steps 1, result quantised', async () =>
      (await runPreset(net, classLogit(net, 130), { steps: 1 })).image,
    ),
    stepCase(`feature visualisation step (${layer} ch 10)`, 'runPreset(channel mean at the pre-activation), preset l2, steps 1', async () =>
      (await runPreset(net, objectiveFor(net, { kind: 'channel', layer, channel: 10 }, { preActivation: true }), { steps: 1 })).image,
    ),
    stepCase(`feature inversion step (${layer}, yosinski)`, 'runPreset(featureDistance), preset yosinski, steps 1 (target features computed once)', async () =>
      (await runPreset(net, inversion, { preset: 'yosinski', steps: 1 })).image,
    ),
    stepCase(`fooling step (PGD, L∞ ε ${eps})`, "optimize in fool()'s configuration (towards class 9), steps 1, logits read", async () =>
      (
        await optimize(net, {
          objective: crossEntropy(net, 9, 'towards'),
          init: input,
          steps: 1,
          stepRule: signAscent(pixelsToModel(eps / 4)),
          projections: [linfBall(input, eps), pixelRange()],
          stopWhen: readLogits,
        })
      ).image,
    ),
    stepCase(`UAP inner step (DeepFool, ${DEEPFOOL_DEFAULTS.candidates} classes)`, "optimize in deepFoolAttack's configuration (one input copy per candidate), steps 1", async () =>
      (
        await optimize(net, {
          objective: logitMargins(net, label, others),
          init: { kind: 'zeros' },
          base: input,
          steps: 1,
          stepRule: deepFoolStep({ original: label, candidates: others, overshoot: DEEPFOOL_DEFAULTS.overshoot }),
          stopWhen: readLogits,
        })
      ).image,
    ),
    stepCase('UAP inner step (gradient attack)', `optimize in gradientAttack's configuration (step ${UAP_GALLERY_JOB.stepSize} level), steps 1`, async () =>
      (
        await optimize(net, {
          objective: crossEntropy(net, label, 'away'),
          init: { kind: 'zeros' },
          base: input,
          steps: 1,
          stepRule: signAscent(pixelsToModel(UAP_GALLERY_JOB.stepSize)),
          stopWhen: readLogits,
        })
      ).image,
    ),
  ];
  return { cases, dispose: () => target.dispose() };
}

// ---------------------------------------------------------------------------------------------------- measuring

interface Row {
  model: ModelId;
  group: Group;
  name: string;
  note: string;
  /** Median and fastest wall time per frame, ms. */
  medianMs: number;
  minMs: number;
  /** tf.profile kernels of one frame, of which Identity. */
  kernels: number;
  identity: number;
  /** Per frame (median over the timed frames). */
  dispatches: number;
  submits: number;
  readbacks: number;
  /** Tensors still alive after the case was disposed, beyond those before it (should be 0). */
  leakedTensors: number;
  error?: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function measure(model: ModelId, c: Case): Promise<Row> {
  const tensorsBefore = tf.memory().numTensors;
  const row: Row = { model, group: c.group, name: c.name, note: c.note, medianMs: NaN, minMs: NaN, kernels: NaN, identity: NaN, dispatches: NaN, submits: NaN, readbacks: NaN, leakedTensors: 0 };
  try {
    for (let i = 0; i < warmup; i++) {
      await c.before?.();
      await c.frame();
    }
    const ms: number[] = [];
    const counts: GpuCounts[] = [];
    for (let i = 0; i < frames; i++) {
      await c.before?.();
      const c0 = counters.read();
      const t0 = performance.now();
      await c.frame();
      ms.push(performance.now() - t0);
      counts.push(countsBetween(c0, counters.read()));
    }
    // Kernels from a separate frame: profiling times every kernel, which changes how the backend submits.
    await c.before?.();
    const profile = await tf.profile(() => c.frame());
    Object.assign(row, {
      medianMs: round(median(ms)),
      minMs: round(Math.min(...ms)),
      kernels: profile.kernels.length,
      identity: profile.kernels.filter((k) => k.name === 'Identity').length,
      dispatches: median(counts.map((x) => x.dispatches)),
      submits: median(counts.map((x) => x.submits)),
      readbacks: median(counts.map((x) => x.readbacks)),
    });
  } catch (err) {
    row.error = (err as Error).message.split('\n')[0];
    log(`${model}: ${c.name} failed: ${row.error}`);
  } finally {
    c.dispose?.();
  }
  row.leakedTensors = tf.memory().numTensors - tensorsBefore;
  return row;
}

const LIVE_VIEWS: [string, Partial<LiveSettings>][] = [
  ['live: activations', { view: 'activations' }],
  ['live: saliency (vanilla)', { view: 'saliency', saliency: 'vanilla' }],
  ['live: saliency (guided)', { view: 'saliency', saliency: 'guided' }],
  ['live: SmoothGrad', { view: 'saliency', saliency: 'smoothgrad' }],
  ['live: Grad-CAM', { view: 'gradcam' }],
  ['live: occlusion', { view: 'occlusion' }],
];

const rows: Row[] = [];
const ratios: { model: ModelId; forwardMs: number; gradientMs: number; gradientOverForward: number; forwardDispatches: number; gradientDispatches: number }[] = [];
for (const model of models) {
  const net = await loadModel(model, modelsRoot());
  net.gradientPath = gradientPath;
  const input = imageToModelInput(photo, DEFAULT_LIVE_SETTINGS.fit).tensor;
  const layer = 'conv_pw_5_relu';
  const live = LIVE_VIEWS.map(([name, settings]) => () => liveCase(net, name, settings));
  const occ = [() => occlusionCase(net, input, DEFAULT_LIVE_SETTINGS.occlusion.batchSize, 'live'), () => occlusionCase(net, input, 16, 'CLI default')];
  const wanted = (name: string): boolean => !only || only.test(name);
  for (const make of [...live, ...occ]) {
    const c = make();
    if (!wanted(c.name)) {
      c.dispose?.();
      continue;
    }
    log(`${model}: ${c.name} …`);
    rows.push(await measure(model, c));
  }
  const opt = await optimizeCases(net, input, layer);
  for (const c of opt.cases) {
    if (!wanted(c.name)) continue;
    log(`${model}: ${c.name} …`);
    rows.push(await measure(model, c));
  }
  opt.dispose();
  input.dispose();
  net.dispose();
  const fwd = rows.find((r) => r.model === model && r.name === 'live: activations');
  const grad = rows.find((r) => r.model === model && r.name === 'live: saliency (vanilla)');
  if (fwd && grad && !fwd.error && !grad.error) {
    ratios.push({
      model,
      forwardMs: fwd.medianMs,
      gradientMs: grad.medianMs,
      gradientOverForward: round(grad.medianMs / fwd.medianMs, 2),
      forwardDispatches: fwd.dispatches,
      gradientDispatches: grad.dispatches,
    });
  }
}

// ---------------------------------------------------------------------------------------------------- output

if (json) {
  const meta = {
    tfjs: tf.version.tfjs,
    node: process.version,
    dawnBackend: gpu.backend,
    featureLevel: gpu.featureLevel,
    adapter: gpu.adapter,
    attempts: gpu.attempts,
    software,
    picture: { file: imagePath.split('/').pop(), width: photo.width, height: photo.height },
    frames,
    warmup,
    date: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify({ meta, rows, ratios }, null, 2)}\n`);
} else {
  console.log('');
  const cell = (v: number): number | string => (Number.isNaN(v) ? '–' : v);
  const out: (string | number)[][] = [['model', 'case', 'median ms', 'min ms', 'kernels', 'Identity', 'dispatches', 'submits', 'readbacks']];
  for (const r of rows) {
    out.push([r.model, r.error ? `${r.name} (failed: ${r.error})` : r.name, cell(r.medianMs), cell(r.minMs), cell(r.kernels), cell(r.identity), cell(r.dispatches), cell(r.submits), cell(r.readbacks)]);
  }
  console.log(table(out));
  console.log('\nkernels: tf.profile entries of one frame; dispatches/submits/readbacks: per frame, counted on Dawn (a kernel run on the CPU or one that only relabels a buffer, like Reshape or Identity, dispatches nothing).');
  for (const r of ratios) {
    console.log(
      `${r.model}: forward / gradient — activations frame ${r.forwardMs} ms, vanilla saliency frame ${r.gradientMs} ms: gradient frame = ${r.gradientOverForward}× the forward frame (dispatches ${r.forwardDispatches} → ${r.gradientDispatches})`,
    );
  }
  for (const r of rows.filter((x) => x.leakedTensors !== 0)) console.log(`${r.model}: ${r.name} left ${r.leakedTensors} tensor(s) alive`);
}
// Dawn keeps the process alive while a device exists: end it once the figures are out.
process.exit(rows.some((r) => r.error) ? 1 : 0);
