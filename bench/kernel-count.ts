/**
 * Kernels per live frame, counted with `tf.profile` around one `LivePipeline.process` call (preprocess, the pass,
 * the maps and the readbacks: everything the frame runs). Kernels are the same on every backend, and on a GPU
 * every kernel is a dispatch, so the count is what the live gradient views pay in dispatches (issue 13).
 * Shared by `npm run bench:kernels` (bench/kernels.bench.ts) and tests/kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_LIVE_SETTINGS, type LiveSettings, LivePipeline } from '../src/core/live/pipeline';
import type { ConvNet, GradientPath } from '../src/core/network';

/** One live view as the kiosk runs it (the default settings otherwise: layer conv_pw_3_relu, top class, 4 SmoothGrad samples). */
export interface LiveKernelView {
  /** Row name in the table. */
  name: string;
  /** Whether the view runs a backward pass (the ones the kernel goal is about). */
  gradient: boolean;
  /** Count the second frame rather than the first (occlusion: the first frame also sets the sweep up). */
  warmUp?: boolean;
  settings: Partial<LiveSettings>;
}

/** The live views whose frames are counted and timed (bench:kernels, bench:table, tests/kernels.test.ts), forward-only first. */
export const LIVE_KERNEL_VIEWS: readonly LiveKernelView[] = [
  { name: 'activations', gradient: false, settings: { view: 'activations' } },
  { name: 'saliency (vanilla)', gradient: true, settings: { view: 'saliency', saliency: 'vanilla' } },
  { name: 'saliency (guided)', gradient: true, settings: { view: 'saliency', saliency: 'guided' } },
  { name: 'SmoothGrad', gradient: true, settings: { view: 'saliency', saliency: 'smoothgrad' } },
  { name: 'Grad-CAM', gradient: true, settings: { view: 'gradcam' } },
  // An occlusion frame after the first: one batch of the sweep refined (the first frame also scores the baseline).
  { name: 'occlusion step', gradient: false, warmUp: true, settings: { view: 'occlusion' } },
];

/** Kernel counts of one frame. */
export interface FrameKernels {
  /** Every kernel the frame ran (profile entries; a customGrad op counts once besides the kernels inside it). */
  kernels: number;
  /** Of which Identity (clones: tensors saved for the backward pass, tidy/keep patterns). */
  identity: number;
  /** Kernels by name, most frequent first. */
  byName: [string, number][];
}

/** The full LiveSettings of `view`: DEFAULT_LIVE_SETTINGS with the view's own settings on top. */
export function liveSettings(view: LiveKernelView): LiveSettings {
  return { ...DEFAULT_LIVE_SETTINGS, ...view.settings };
}

/**
 * Counts the kernels of one frame of `view` on `pixels` ([H, W, 3] in 0..255) with the network's gradients on
 * `path` (default: its current `gradientPath`, which is restored afterwards). Views marked `warmUp` run one frame
 * first (occlusion counts a refinement step, not the sweep's set-up); the pipeline is disposed afterwards.
 */
export async function countFrameKernels(net: ConvNet, pixels: tf.Tensor3D, view: LiveKernelView, path: GradientPath = net.gradientPath): Promise<FrameKernels> {
  const pipeline = new LivePipeline(net);
  const settings = liveSettings(view);
  const saved = net.gradientPath;
  net.gradientPath = path;
  try {
    if (view.warmUp) await pipeline.process(pixels, settings);
    const profile = await tf.profile(async () => {
      await pipeline.process(pixels, settings);
    });
    const byName = new Map<string, number>();
    for (const k of profile.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
    return {
      kernels: profile.kernels.length,
      identity: byName.get('Identity') ?? 0,
      byName: [...byName].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    };
  } finally {
    net.gradientPath = saved;
    pipeline.dispose();
  }
}

/** Median milliseconds per frame: wall-clock, and CPU time of this process (user + system; steadier on a shared machine). */
export interface FrameMs {
  wallMs: number;
  /** NaN where `process.cpuUsage` does not exist (in a browser page). */
  cpuMs: number;
  /** Median of `counter`'s increase over one frame (e.g. GPU dispatches); undefined without a counter. */
  counted?: number;
}

/**
 * Median ms per frame of `view` for each gradient path, over `frames` frames each after one warm-up frame per
 * path; the paths take turns frame by frame so that load from other processes hits them alike. The network's
 * `gradientPath` is restored afterwards. CPU time is read with process.cpuUsage (Node; NaN in a browser, where
 * this runs too: bench/table/page.ts). `counter`, when given, returns a running total (e.g. Dawn's dispatches,
 * src/node/gpu-counters.ts) read before and after each timed frame.
 */
export async function medianFrameMs(
  net: ConvNet,
  pixels: tf.Tensor3D,
  view: LiveKernelView,
  frames: number,
  paths: readonly GradientPath[] = [net.gradientPath],
  counter?: () => number,
): Promise<Record<GradientPath, FrameMs>> {
  const pipeline = new LivePipeline(net);
  const settings = liveSettings(view);
  const saved = net.gradientPath;
  const cpuUsage = typeof process !== 'undefined' && typeof process.cpuUsage === 'function' ? process.cpuUsage.bind(process) : undefined;
  const times = new Map<GradientPath, { wall: number[]; cpu: number[]; counted: number[] }>(paths.map((p) => [p, { wall: [], cpu: [], counted: [] }]));
  try {
    for (let i = -1; i < frames; i++) {
      for (const path of paths) {
        net.gradientPath = path;
        const n0 = counter?.();
        const cpu0 = cpuUsage?.();
        const t0 = performance.now();
        await pipeline.process(pixels, settings);
        const wall = performance.now() - t0;
        const cpu = cpuUsage?.(cpu0);
        const n1 = counter?.();
        if (i < 0) continue;
        const t = times.get(path)!;
        t.wall.push(wall);
        t.cpu.push(cpu ? (cpu.user + cpu.system) / 1000 : NaN);
        if (n0 !== undefined && n1 !== undefined) t.counted.push(n1 - n0);
      }
    }
  } finally {
    net.gradientPath = saved;
    pipeline.dispose();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Object.fromEntries(
    [...times].map(([p, t]) => [p, { wallMs: median(t.wall), cpuMs: median(t.cpu), ...(counter ? { counted: median(t.counted) } : {}) }]),
  ) as Record<GradientPath, FrameMs>;
}
