import type { Prediction } from '../core/classify';
import { DEFAULT_LIVE_SETTINGS, LIVE_VIEWS, type LiveFrame, type LiveSettings, type LiveView } from '../core/live/settings';
import { IMAGENET_LABELS } from '../core/labels';
import { type ModelName, isModelId } from '../core/models';
import { type OwnModelInfo, isOwnModelName } from '../core/own-model';
import type { LayerInfo } from '../core/network';
import type { PresetName } from '../core/optimize/presets';
import { DEFAULT_VISUALIZE_PRESET } from '../core/optimize/defaults';
import type { JobDetail } from '../core/attribution/defaults';
import type { RgbaImage } from '../core/preprocess';
import { BACKENDS, type BackendName, type ForwardEngine, type WorkerMemory } from '../../workers/protocol';
import type { StartChoice } from '../../workers/backend-choice';
import type { BackgroundCheck } from '../core/bias';
import type { Crop, SourceKind } from './frame-source';
import { type JobState, jobKind } from './jobs/job-kinds';
import { DEFAULT_KIOSK_CONFIG, DEFAULT_STRINGS, type UiStrings } from './kiosk-config';
import type { WakeLockState } from './controllers/kiosk-controller';

/**
 * Everything the app shows, in one object (src/ui/store.ts holds it). Controllers write it; views read it.
 * Values are replaced, never mutated.
 */
export interface AppState {
  // Set once at start (URL parameters, the kiosk file).
  /** The model in use (before the worker's choice: the one asked for, else standard); an own model by its name. */
  model: ModelName;
  /**
   * The model named by the URL (`?model=`), the kiosk file or the model picker; else the worker chooses it by
   * measurement.
   */
  forcedModel: ModelName | undefined;
  /**
   * An own model's name asked for by `?model=NAME` or the kiosk file's `ownModel`, checked against the stored models
   * before the model loads (OwnModels.resolveAsked): then it becomes `forcedModel`, or a one-line notice says it is
   * not stored and the bundled model runs.
   */
  askedModel: string | undefined;
  forcedBackend: BackendName | undefined;
  /** Forward-only passes may run on WASM beside the CPU backend (`?wasm=0` keeps them on CPU, for comparisons). */
  wasm: boolean;
  lecture: boolean;
  kiosk: boolean;
  /** The on-demand tools are offered (always, except in a kiosk whose file says `tools: false`). */
  tools: boolean;
  /** Views offered, in order; words on screen (both set by the kiosk file in kiosk mode). */
  views: LiveView[];
  strings: UiStrings;
  /** The layer the activation grid starts on (the kiosk file may name one). */
  startLayer: string;
  /** The layer the kiosk file asked for (checked once the model is loaded). */
  wantedLayer: string | undefined;
  kioskProblems: string[];
  /** Seconds between a kiosk's own retries when the model cannot be loaded. */
  retrySeconds: number;

  // The inference worker (WorkerSupervisor).
  backend: BackendName | null;
  /** Where forward-only passes run beside the CPU backend (the WASM twin), null when they run on `backend`. */
  forward: ForwardEngine | null;
  /** How the worker chose backend and model (measured, remembered, forced), with its timings and live budget. */
  choice: StartChoice | null;
  /** The model is loaded and warmed up: frames and jobs can run. */
  ready: boolean;
  /** What the app is doing, for operators (header outside kiosk mode, HUD, console). */
  status: string;
  /** The same in a visitor's words (kiosk header); empty when there is nothing to say. */
  visitorStatus: string;
  error: string | null;
  /** Full-panel error: model files missing or damaged, the worker crashing again and again, an unrecoverable GPU loss. */
  modelError: { heading: string; message: string } | null;
  recoveries: number;
  workerRestarts: number;
  workerMemory: WorkerMemory | null;
  layers: LayerInfo[];
  /** The model's class labels in output order (from the worker's 'ready'; ImageNet's before). */
  labels: readonly string[];

  // "Your own model" (OwnModels controller).
  /** Models stored in this browser (IndexedDB), oldest first. */
  ownModels: OwnModelInfo[];
  /** The last add / remove: what happened, one line each ('error' for a refused file), or null. */
  ownModelNotice: { kind: 'ok' | 'error' | 'busy'; text: string } | null;

  // Teach mode (TeachController).
  /** Teach mode is offered: always, except in a kiosk whose file does not enable it (`teach: true`). */
  teachOffered: boolean;
  teach: TeachState;

  // The live view (LiveFrames).
  settings: LiveSettings;
  /** The channel enlarged over the picture (activations), or -1. */
  channel: number;
  frame: LiveFrame | undefined;
  /** The settings the frame on screen was computed with (differs from `settings` right after a switch). */
  frameSettings: LiveSettings | undefined;
  /** The square of the picture the frame's model input was cut from, and the picture's size. */
  crop: Crop | undefined;
  pictureSize: { width: number; height: number } | undefined;
  frames: number;
  fps: number;
  lastFrameMs: number;
  /** First-layer filters (the Filters view), once fetched. */
  filters: RgbaImage | undefined;

  // Where frames come from (SourceController).
  source: SourceKind | null;
  /** Counts source changes; a frame grabbed from an earlier source is dropped when it comes back. */
  sourceGeneration: number;
  /** The source generation of the frame on screen. */
  frameGeneration: number;
  /** The element showing the picture (a video for camera and video files, an image otherwise). */
  media: HTMLVideoElement | HTMLImageElement | undefined;
  mirrored: boolean;
  cameras: MediaDeviceInfo[];
  /** The camera in use (device id), when known. */
  cameraId: string | undefined;
  cameraMessage: string | null;
  frozen: boolean;

  // On-demand jobs (JobController).
  job: JobState | null;
  /** The job's progress and result are on the stage (else the live view is). */
  showJob: boolean;
  /** The class that class visualisation and fooling aim at. */
  goal: { index: number; label: string };
  preset: PresetName;
  /** How much work the on-demand jobs do: sized for under a minute, or the lecturer's "more detail". */
  detail: JobDetail;
  uapReady: boolean;
  /** Snapshots saved in this session (names the next one). */
  snapshots: number;

  // Overlays and kiosk.
  helpOpen: boolean;
  /** The About overlay (credits of the gallery's pictures) is open. */
  aboutOpen: boolean;
  hud: boolean;
  attract: boolean;
  wakeLock: WakeLockState;
  resets: number;
}

/** Teach mode as the page keeps it (the examples themselves are features kept in the worker). */
export interface TeachState {
  /** The visitor's class names, TEACH_LIMITS.minClasses to maxClasses of them. */
  classes: string[];
  /** Examples captured per class (as the worker counts them), in class order. */
  counts: number[];
  /** The latest example of each class as a small picture (object URL), when there is one. */
  thumbnails: (string | undefined)[];
  /** The class whose button is held (its frames are being captured), or -1. */
  capturing: number;
  /** A taught network is in use: the live view predicts and explains the visitor's classes. */
  taught: boolean;
  /** Examples or names changed since the last training (Train again to use them). */
  changed: boolean;
  /** What happened last (captured, trained, refused…), one line. */
  notice: { kind: 'ok' | 'error'; text: string } | null;
  /**
   * The bias lesson: the live explanation's share of mass in the middle of the picture, averaged over recent
   * frames, against a flat map's (src/core/bias.ts); null until a taught network's map has been seen for a while.
   */
  bias: BackgroundCheck | null;
}

/** Teach mode before anything is captured: two classes, "Class 1" and "Class 2". */
export function initialTeachState(): TeachState {
  return { classes: ['Class 1', 'Class 2'], counts: [0, 0], thumbnails: [undefined, undefined], capturing: -1, taught: false, changed: false, notice: null, bias: null };
}

/**
 * The state that follows from the model's classes changing to `labels` (another model, a taught head, or forgetting
 * it): the labels, the class to aim at (kept when the new labels have it at the same index, else the first class),
 * and a fixed explained class that no longer exists set back to the top class.
 */
export function withLabels(state: Readonly<AppState>, labels: readonly string[]): Pick<AppState, 'labels' | 'goal' | 'settings'> {
  const goal = state.goal.index < labels.length && labels[state.goal.index] === state.goal.label ? state.goal : { index: 0, label: labels[0] ?? 'class 0' };
  const target = state.settings.target;
  const settings = typeof target === 'number' && target >= labels.length ? { ...state.settings, target: 'top' as const } : state.settings;
  return { labels, goal, settings };
}

/** The state at start, from the page's URL parameters (`?model=lite&backend=cpu&view=saliency&lecture&kiosk`). */
export function initialState(search: string): AppState {
  const params = new URLSearchParams(search);
  const asked = params.get('model') ?? '';
  const backend = params.get('backend') ?? '';
  const view = params.get('view') ?? '';
  const settings: LiveSettings = { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch' };
  if ((LIVE_VIEWS as readonly string[]).includes(view)) settings.view = view as LiveView;
  return {
    model: isModelId(asked) ? asked : 'standard',
    forcedModel: isModelId(asked) ? asked : undefined,
    askedModel: isOwnModelName(asked) ? asked : undefined,
    forcedBackend: (BACKENDS as readonly string[]).includes(backend) ? (backend as BackendName) : undefined,
    wasm: params.get('wasm') !== '0',
    lecture: params.has('lecture'),
    kiosk: params.has('kiosk'),
    tools: true,
    views: [...LIVE_VIEWS],
    strings: DEFAULT_STRINGS,
    startLayer: DEFAULT_LIVE_SETTINGS.layer,
    wantedLayer: undefined,
    kioskProblems: [],
    retrySeconds: DEFAULT_KIOSK_CONFIG.retrySeconds,
    backend: null,
    forward: null,
    choice: null,
    ready: false,
    status: 'Loading the model…',
    visitorStatus: 'Getting ready…',
    error: null,
    modelError: null,
    recoveries: 0,
    workerRestarts: 0,
    workerMemory: null,
    layers: [],
    labels: IMAGENET_LABELS,
    ownModels: [],
    ownModelNotice: null,
    teachOffered: !params.has('kiosk'),
    teach: initialTeachState(),
    settings,
    channel: -1,
    frame: undefined,
    frameSettings: undefined,
    crop: undefined,
    pictureSize: undefined,
    frames: 0,
    fps: 0,
    lastFrameMs: 0,
    filters: undefined,
    source: null,
    sourceGeneration: 0,
    frameGeneration: 0,
    media: undefined,
    mirrored: false,
    cameras: [],
    cameraId: undefined,
    cameraMessage: null,
    frozen: false,
    job: null,
    showJob: false,
    goal: { index: 130, label: 'flamingo' },
    preset: DEFAULT_VISUALIZE_PRESET,
    detail: 'default',
    uapReady: false,
    snapshots: 0,
    helpOpen: false,
    aboutOpen: false,
    hud: false,
    attract: false,
    wakeLock: 'released',
    resets: 0,
  };
}

/** What `window.convlens.state()` returns: health for kiosk operators and tests, without scraping the DOM. */
export interface ConvLensState {
  backend: BackendName | null;
  /** Forward-only passes on WASM beside the CPU backend: SIMD, threads, cross-origin isolated; null otherwise. */
  forward: ForwardEngine | null;
  model: string;
  /**
   * How backend and model were chosen: 'measured' (timed now), 'remembered' (timed earlier on this device, same
   * renderers) or 'forced' (URL); the renderers seen, one warm frame per backend and model timed (ms), the live
   * per-frame budget, and the operator's sentence. Null until the model is loaded.
   */
  choice: {
    how: StartChoice['how'];
    reason: string;
    adapters: { backend: BackendName; available: boolean; renderer: string; software: boolean }[];
    timings: StartChoice['timings'];
    budget: StartChoice['budget'];
  } | null;
  mode: LiveView;
  /** Frames per second over the last 2 s (or the last two frames when slower), two significant digits below 1. */
  fps: number;
  frames: number;
  lastFrameMs: number;
  /** Share of the live occlusion sweep done (0..1; 1 = a full map), null outside the occlusion view. */
  occlusionProgress: number | null;
  top5: Prediction[];
  stages: Record<string, number>;
  error: string | null;
  /** Where frames come from now. */
  source: SourceKind | null;
  /** The on-demand job's state. */
  job: { kind: string; progress: number; state: 'running' | 'done' | 'cancelled' | 'error'; etaSeconds?: number; seconds?: number } | null;
  /** Lost GPU devices recovered from (the backend recreated, or a fallback) since the worker started. */
  recoveries: number;
  /** Times the inference worker crashed and was restarted. */
  workerRestarts: number;
  /** The worker's tf.memory() after the last frame. */
  workerMemory: WorkerMemory | null;
  /** The full-panel error shown instead of the live view (a model file missing or damaged…), else null. */
  modelError: string | null;
  /** Views offered, in order (kiosk configuration). */
  views: LiveView[];
  layer: string;
  channel: number;
  /** The frame is frozen (lecture: explain one picture at leisure). */
  frozen: boolean;
  lecture: boolean;
  helpOpen: boolean;
  aboutOpen: boolean;
  /** A new version is installed and waits (announced by the banner; a kiosk applies it at its next idle reset). */
  updateReady: boolean;
  /** Kiosk mode only: the attract loop, the screen wake lock, idle resets so far, problems in the kiosk file. */
  kiosk: { attract: boolean; wakeLock: WakeLockState; resets: number; problems: string[] } | null;
  /**
   * Teach mode (null where it is not offered): class names, examples per class, whether the taught network is in
   * use, and the bias lesson's measure of the live map (share of its mass in the middle, a flat map's share).
   */
  teach: { classes: string[]; counts: number[]; taught: boolean; bias: { objectShare: number; flatShare: number; looksAtBackground: boolean } | null } | null;
}

/** Rounds a rate for reading: one decimal from 1 up, two significant digits below (0.061, not 0). */
export function readableRate(rate: number): number {
  return rate >= 1 ? Math.round(rate * 10) / 10 : Number(rate.toPrecision(2));
}

/** `window.convlens.state()` from the app state (rates rounded for reading, the model error's message only). */
export function toConvLensState(s: Readonly<AppState>, updateReady: boolean): ConvLensState {
  return {
    backend: s.backend,
    forward: s.forward,
    model: s.model,
    choice: s.choice
      ? {
          how: s.choice.how,
          reason: s.choice.reason,
          adapters: s.choice.adapters,
          timings: s.choice.timings.map((t) => ({ ...t, forwardMs: Math.round(t.forwardMs), gradientMs: Math.round(t.gradientMs), setupMs: Math.round(t.setupMs) })),
          budget: s.choice.budget,
        }
      : null,
    mode: s.settings.view,
    fps: readableRate(s.fps),
    frames: s.frames,
    lastFrameMs: Math.round(s.lastFrameMs),
    occlusionProgress: s.frame?.occlusionProgress ?? null,
    top5: s.frame?.top5 ?? [],
    stages: Object.fromEntries(Object.entries(s.frame?.stages ?? {}).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    error: s.error,
    source: s.source,
    job: s.job
      ? {
          kind: jobStateKind(s.job),
          progress: s.job.progress,
          state: s.job.state,
          // While it runs: the worker's latest estimate of the seconds left; once ended: how long it took.
          ...(s.job.state === 'running' && s.job.etaSeconds !== undefined ? { etaSeconds: s.job.etaSeconds } : {}),
          ...(s.job.endedAt !== undefined ? { seconds: (s.job.endedAt - s.job.startedAt) / 1000 } : {}),
        }
      : null,
    recoveries: s.recoveries,
    workerRestarts: s.workerRestarts,
    workerMemory: s.workerMemory,
    modelError: s.modelError?.message ?? null,
    views: s.views,
    layer: s.settings.layer,
    channel: s.channel,
    frozen: s.frozen,
    updateReady,
    lecture: s.lecture,
    helpOpen: s.helpOpen,
    aboutOpen: s.aboutOpen,
    kiosk: s.kiosk ? { attract: s.attract, wakeLock: s.wakeLock, resets: s.resets, problems: s.kioskProblems } : null,
    teach: s.teachOffered
      ? {
          classes: s.teach.classes,
          counts: s.teach.counts,
          taught: s.teach.taught,
          bias: s.teach.bias ? { objectShare: s.teach.bias.objectShare, flatShare: s.teach.bias.flatShare, looksAtBackground: s.teach.bias.looksAtBackground } : null,
        }
      : null,
  };
}

function jobStateKind(job: JobState): string {
  return jobKind(job.kind).stateKind;
}
