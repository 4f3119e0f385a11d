/**
 * Choosing the backend and the model by measurement (issue 13, goal 6), DOM-free: pure functions from what the
 * worker detected and timed to a choice, so the rules are unit-tested in Node (tests/backend-choice.test.ts).
 *
 * Why: on a machine without a GPU, Chromium still offers WebGPU — through SwiftShader, a CPU emulation. Picked by
 * the old fixed order (WebGPU, WebGL, CPU) it was the slowest backend here: 45–49 s to the first top-5 against
 * 7.4 s on CPU, activations at 0.33 frames/s against 1.58 on WebGL (project notes). So: name software adapters,
 * time one warm frame of the lite model on each candidate, take the fastest, and use the lite model where the
 * standard one would make the live gradient views slower than MIN_GRADIENT_FPS.
 */
import { type ModelId, type ModelName, isModelId } from '../src/core/models';
import type { BackendName } from './protocol';

/** What the worker found for one backend before timing anything. */
export interface AdapterReport {
  backend: BackendName;
  /** The backend can start here (WebGPU: an adapter; WebGL: a context; CPU: always). */
  available: boolean;
  /**
   * The renderer as the platform names it: WebGPU adapter info (vendor, architecture, device, description),
   * WebGL's unmasked renderer (WEBGL_debug_renderer_info), 'cpu' for the CPU backend. '' when unknown.
   */
  renderer: string;
  /** A software rasteriser (SwiftShader, llvmpipe, …) or WebGPU's fallback adapter: no GPU behind it. */
  software: boolean;
}

/** One warm frame timed on one backend with one model (milliseconds, wall clock in the worker). */
export interface FrameTiming {
  backend: BackendName;
  /** A bundled model, or the name of one the user stored. */
  model: ModelName;
  /** Activations view: one forward pass with taps, top-5 and layer read back. */
  forwardMs: number;
  /** Saliency view (plain gradient): forward + input gradient, everything read back. */
  gradientMs: number;
  /** Loading the model onto the backend and compiling its kernels (first frames), for the record. */
  setupMs: number;
}

/** Live work per frame, sized from the measured frame times so that a frame stays within FRAME_BUDGET_MS. */
export interface LiveBudget {
  /** The per-frame budget these were sized for (ms). */
  budgetMs: number;
  /** Noisy copies per live SmoothGrad frame (1..MAX_SMOOTH_SAMPLES). */
  smoothSamples: number;
  /** Occluded copies per live occlusion frame (1, 2, 4 or 8: few fixed batch sizes keep the GPU buffer pool small). */
  occlusionBatch: number;
}

/** The choice the worker made, as the page shows it and remembers it per device. */
export interface StartChoice {
  backend: BackendName;
  /** A bundled model, or the name of one the user stored (never remembered: RememberedChoice names bundled ones). */
  model: ModelName;
  /** 'measured' now, 'remembered' from an earlier measurement on this device, 'forced' by the URL. */
  how: 'measured' | 'remembered' | 'forced';
  /** The device key (renderers) the choice is remembered under. */
  deviceKey: string;
  adapters: AdapterReport[];
  timings: FrameTiming[];
  budget: LiveBudget;
  /** One or two sentences for operators: what was measured and why this choice. */
  reason: string;
  /** Visitors' words when the choice limits what they see (the lite model), else ''. */
  note: string;
}

/** A choice remembered in the page's localStorage (what is needed to skip measuring next time). */
export interface RememberedChoice {
  version: typeof CHOICE_VERSION;
  backend: BackendName;
  model: ModelId;
  budget: LiveBudget;
  reason: string;
  timings: FrameTiming[];
}

/**
 * Bump when the rules change, so that choices measured under older rules are measured again. 2: a CPU timing
 * includes the WASM forward twin (its forward frame and setup), so CPU choices made before it are stale.
 */
export const CHOICE_VERSION = 2;

/** The live gradient views should run at least this fast with the model chosen by default (frames/s). */
export const MIN_GRADIENT_FPS = 2;

/** The per-frame budget live SmoothGrad and occlusion are sized to (ms): 2 frames/s. */
export const FRAME_BUDGET_MS = 1000 / MIN_GRADIENT_FPS;

/** Live SmoothGrad never takes more noisy copies than this (DEFAULT_LIVE_SETTINGS' 4). */
export const MAX_SMOOTH_SAMPLES = 4;

/** Live occlusion never takes more occluded copies per frame than this (DEFAULT_LIVE_SETTINGS' 8). */
export const MAX_OCCLUSION_BATCH = 8;

/** localStorage key prefix of remembered choices; the rest of the key is the device key. */
export const CHOICE_STORAGE_PREFIX = 'convlens.backend-choice:';

/** Names of renderers with no GPU behind them, as WebGPU adapter info and WebGL's unmasked renderer give them. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|lavapipe|software|microsoft basic render/i;

/**
 * Whether a renderer string names a software rasteriser: SwiftShader (Chromium's CPU Vulkan/GL, "ANGLE (Google,
 * Vulkan 1.3.0 (SwiftShader Device (Subzero) …))"), Mesa's llvmpipe/softpipe/lavapipe, Windows' "Microsoft Basic
 * Render Driver", or anything saying "Software". Case-insensitive.
 */
export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERER.test(renderer);
}

/**
 * The key a choice is remembered under: the renderers of every available backend, so a new GPU, driver or browser
 * flag (another renderer string) is measured afresh. Stable for the same reports in any order.
 */
export function deviceKey(adapters: readonly AdapterReport[]): string {
  return adapters
    .filter((a) => a.available)
    .map((a) => `${a.backend}=${a.renderer || '?'}`)
    .sort()
    .join('|');
}

/**
 * The backends worth timing, in the order to time them. CPU always; WebGL when a context exists (software or
 * not: SwiftShader WebGL ran 1.58 activation frames/s here, faster than CPU at times); WebGPU only on a hardware
 * adapter — a software WebGPU adapter compiles every shader on the CPU (45–49 s to the first top-5 here, and its
 * device was lost after about 150 s), so timing it would blow the few-seconds budget for nothing. A software
 * WebGPU stays usable with `?backend=webgpu`.
 */
export function candidateBackends(adapters: readonly AdapterReport[]): BackendName[] {
  const order: BackendName[] = ['webgpu', 'webgl', 'cpu'];
  const usable = (b: BackendName): boolean => {
    const a = adapters.find((r) => r.backend === b);
    if (b === 'cpu') return true;
    if (!a?.available) return false;
    return b === 'webgpu' ? !a.software : true;
  };
  return order.filter(usable);
}

/**
 * Gradient frames within this share of each other count as equally fast: one frame timed on a loaded 2-core
 * machine is that noisy. Measured here: the probe gave SwiftShader WebGL 1019 ms and CPU 1056 ms per lite gradient
 * frame, and then in the live view (the page drawing through the same software GPU) WebGL ran 4.0 s and CPU 0.98 s.
 */
export const TIE_SHARE = 0.25;

/**
 * The fastest backend by the measured gradient frame (the live views' wall). Within TIE_SHARE of the fastest, the
 * shortest setup wins (loading and compiling: what a visitor waits for at every start — 23 s for SwiftShader WebGL
 * against 2 s for CPU here), then the order WebGPU, WebGL, CPU. Throws when nothing was timed.
 */
export function fastestBackend(timings: readonly FrameTiming[]): BackendName {
  if (timings.length === 0) throw new Error('no backend could be timed');
  const order: BackendName[] = ['webgpu', 'webgl', 'cpu'];
  const best = Math.min(...timings.map((t) => t.gradientMs));
  const close = timings.filter((t) => t.gradientMs <= best * (1 + TIE_SHARE));
  close.sort((a, b) => a.setupMs - b.setupMs || order.indexOf(a.backend) - order.indexOf(b.backend));
  return close[0]!.backend;
}

/**
 * The model to start with when the URL and the kiosk file name none: standard when its measured gradient frame
 * runs at MIN_GRADIENT_FPS or faster, else lite. `standard` undefined (not timed) keeps standard.
 */
export function chooseModel(standard: FrameTiming | undefined): ModelId {
  if (!standard) return 'standard';
  return 1000 / standard.gradientMs >= MIN_GRADIENT_FPS ? 'standard' : 'lite';
}

/**
 * Whether the standard model is worth timing after the lite one ran on the chosen backend: the standard network
 * is the lite one with three times the channels, never faster, so a lite gradient frame already slower than
 * MIN_GRADIENT_FPS decides for lite without loading standard (here that saved its 29 s shader compilation and a
 * 7 s gradient frame on SwiftShader WebGL). Undefined lite (not timed): worth timing.
 */
export function standardWorthTiming(lite: Pick<FrameTiming, 'gradientMs'> | undefined): boolean {
  return !lite || 1000 / lite.gradientMs >= MIN_GRADIENT_FPS;
}

/**
 * Live SmoothGrad samples and occlusion batch sized to FRAME_BUDGET_MS from one timed frame of the model in use.
 * SmoothGrad's noisy copies ride in one batch with the clean frame; a batch of n+1 is costed as n+1 gradient
 * frames (linear: true on CPU, pessimistic on a GPU), so n = ⌊budget / gradientMs⌋ − 1, at least 1 (a map needs
 * one noisy copy), at most MAX_SMOOTH_SAMPLES. Occlusion adds a batch of occluded forward passes to the frame's own
 * forward pass: b = ⌊(budget − forwardMs) / forwardMs⌋ rounded down to a power of two, 1..MAX_OCCLUSION_BATCH.
 * When even the minimum exceeds the budget the frame is simply slower; the minimum is still the smallest useful work.
 */
export function liveBudget(timing: Pick<FrameTiming, 'forwardMs' | 'gradientMs'>, budgetMs = FRAME_BUDGET_MS): LiveBudget {
  const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));
  const smooth = clamp(Math.floor(budgetMs / Math.max(timing.gradientMs, 1e-3)) - 1, 1, MAX_SMOOTH_SAMPLES);
  const fitting = clamp(Math.floor((budgetMs - timing.forwardMs) / Math.max(timing.forwardMs, 1e-3)), 1, MAX_OCCLUSION_BATCH);
  const occlusionBatch = 2 ** Math.floor(Math.log2(fitting));
  return { budgetMs, smoothSamples: smooth, occlusionBatch };
}

const fps = (ms: number): string => {
  const rate = 1000 / ms;
  return rate >= 10 ? rate.toFixed(0) : rate >= 1 ? rate.toFixed(1) : rate.toPrecision(2);
};

/**
 * The operator's sentence for a choice: the software adapters seen, the timings (gradient frame per backend) and
 * the model rule. E.g. "Measured one warm lite frame: webgl 210 ms, cpu 380 ms (gradient) → webgl. WebGPU is a
 * software adapter (SwiftShader …), not timed. Standard model: 1.4 gradient frames/s (under 2) → lite."
 */
export function explainChoice(adapters: readonly AdapterReport[], timings: readonly FrameTiming[], backend: BackendName, model: ModelName): string {
  const parts: string[] = [];
  // The probe of each backend (the first lite timing of it; a later one re-times the model kept for the budget).
  const lite = timings.filter((t, i) => t.model === 'lite' && timings.findIndex((u) => u.model === 'lite' && u.backend === t.backend) === i);
  if (lite.length > 0) {
    const list = lite.map((t) => `${t.backend} ${Math.round(t.gradientMs)} ms`).join(', ');
    const shortest = lite.every((t) => t.backend === backend || t.gradientMs >= lite.find((u) => u.backend === backend)!.gradientMs);
    const tie = lite.length > 1 && !shortest ? ` (within ${TIE_SHARE * 100} %: the faster start, ${lite.map((t) => `${t.backend} ${(t.setupMs / 1000).toFixed(1)} s`).join(', ')})` : '';
    parts.push(`Measured one warm lite gradient frame: ${list} → ${backend}${tie}.`);
  }
  for (const a of adapters) {
    if (a.available && a.software && a.backend !== 'cpu') parts.push(`${a.backend === 'webgpu' ? 'WebGPU' : 'WebGL'} is a software renderer (${a.renderer || 'fallback adapter'})${a.backend === 'webgpu' && !lite.some((t) => t.backend === 'webgpu') ? ', not timed' : ''}.`);
  }
  const standard = timings.find((t) => t.model === 'standard' && t.backend === backend);
  if (standard) {
    const under = 1000 / standard.gradientMs < MIN_GRADIENT_FPS;
    parts.push(`Standard model: ${fps(standard.gradientMs)} gradient frames/s${under ? ` (under ${MIN_GRADIENT_FPS}) → lite` : ''}.`);
  } else if (model === 'lite' && lite.length > 0) {
    const own = lite.find((t) => t.backend === backend);
    parts.push(own && !standardWorthTiming(own) ? `Lite already under ${MIN_GRADIENT_FPS} gradient frames/s: standard not timed → lite.` : 'Lite model.');
  } else if (!isModelId(model)) {
    const own = timings.find((t) => t.model === model && t.backend === backend);
    parts.push(`Your own model ${model}${own ? `: ${Math.round(own.gradientMs)} ms per gradient frame` : ''}.`);
  }
  return parts.join(' ');
}

/** Visitors' words when the lite model was chosen for speed; '' otherwise. */
export function choiceNote(model: ModelName, how: StartChoice['how'], modelForced: boolean): string {
  if (model !== 'lite' || modelForced || how === 'forced') return '';
  return 'This computer has no fast graphics chip, so a smaller, faster network is used.';
}

/** A stored choice parsed back, or undefined when it is missing, damaged or from older rules. */
export function parseRemembered(text: string | null | undefined): RememberedChoice | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<RememberedChoice>;
    const backends: readonly string[] = ['webgpu', 'webgl', 'cpu'];
    const models: readonly string[] = ['standard', 'lite'];
    if (value.version !== CHOICE_VERSION || !backends.includes(value.backend ?? '') || !models.includes(value.model ?? '')) return undefined;
    const b = value.budget;
    if (!b || !Number.isInteger(b.smoothSamples) || !Number.isInteger(b.occlusionBatch) || b.smoothSamples < 1 || b.occlusionBatch < 1) return undefined;
    return value as RememberedChoice;
  } catch {
    return undefined;
  }
}
