import { LitElement, css, html, nothing } from 'lit';
import { controlStyles } from './control-styles';
import { type ActivationMaps, channelMap } from '../core/activation-maps';
import type { Prediction } from '../core/classify';
import { searchClasses } from '../core/labels';
import { DEFAULT_LIVE_SETTINGS, LIVE_VIEWS, type LiveFrame, type LiveSettings, type LiveView, SALIENCY_KINDS, type SaliencyKind } from '../core/live/settings';
import { FINE_OCCLUSION, FINE_SHAPLEY } from '../core/attribution/defaults';
import { isModelId } from '../core/models';
import type { LayerInfo } from '../core/network';
import type { PresetName } from '../core/optimize/presets';
import type { RgbaImage } from '../core/preprocess';
import { colorize } from '../core/render/image';
import { BACKENDS, type BackendName, type JobResult, type JobSpec } from '../../workers/protocol';
import { LatestWins } from '../../workers/scheduler';
import './activation-grid';
import { paint } from './canvas';
import { type Crop, cameraErrorMessage, grabFrame, showOpaque } from './frame-source';
import './mode-result';
import './gallery-panel';
import { storedThumbnail } from './stored-gallery';
import './top5-bars';
import './update-banner';
import { WorkerClient } from './worker-client';
import type { Simulation, WorkerMemory } from '../../workers/protocol';
import { CameraReconnect, cameraMayReturn } from './camera';
import './model-error';
import { exportFigure } from './figure-export';
import { KioskController, type WakeLockState } from './kiosk';
import { DEFAULT_KIOSK_CONFIG, DEFAULT_STRINGS, type KioskConfig, type UiStrings, caption, kioskConfigUrl, parseKioskConfig } from './kiosk-config';
import './shortcut-help';
import { appUpdates } from './pwa';
import { forgetSnapshots } from '../../workers/gallery-store';
import { type ShortcutAction, shortcutFor } from './shortcuts';

/** What `window.convlens.state()` returns: health for kiosk operators and tests, without scraping the DOM. */
export interface ConvLensState {
  backend: BackendName | null;
  model: string;
  mode: LiveView;
  fps: number;
  frames: number;
  lastFrameMs: number;
  top5: Prediction[];
  stages: Record<string, number>;
  error: string | null;
  /** Where frames come from now. */
  source: 'camera' | 'image' | 'video' | null;
  /** The on-demand job's state. */
  job: { kind: string; progress: number; state: 'running' | 'done' | 'cancelled' | 'error' } | null;
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
  /** A new version is installed and waits (announced by the banner; a kiosk applies it at its next idle reset). */
  updateReady: boolean;
  /** Kiosk mode only: the attract loop, the screen wake lock, idle resets so far, problems in the kiosk file. */
  kiosk: { attract: boolean; wakeLock: WakeLockState; resets: number; problems: string[] } | null;
}

declare global {
  interface Window {
    convlens: { state(): ConvLensState; bench(): Promise<Record<string, number>>; simulate(what: Simulation): Promise<void> };
  }
}

const SAMPLE_IMAGES = ['coffee.png', 'chelsea.png', 'astronaut.png', 'motorcycle_left.png', 'rocket.jpg'];
/** The explain jobs of a frozen frame, with the presets declared beside each method in the core. */
const JOB_METHODS: readonly { name: string; method: string; spec: (image: ImageBitmap, classIndex: number) => JobSpec }[] = [
  { name: 'Fine occlusion', method: 'occlusion', spec: (image, classIndex) => ({ kind: 'explain', method: 'occlusion', classIndex, image, options: FINE_OCCLUSION }) },
  { name: 'Shapley values', method: 'shapley', spec: (image, classIndex) => ({ kind: 'explain', method: 'shapley', classIndex, image, options: FINE_SHAPLEY }) },
  { name: 'Integrated gradients', method: 'integrated-gradients', spec: (image, classIndex) => ({ kind: 'explain', method: 'integrated-gradients', classIndex, image }) },
];

export class ConvLensApp extends LitElement {
  static override properties = {
    status: { state: true },
    error: { state: true },
    cameraMessage: { state: true },
    modelError: { state: true },
    source: { state: true },
    settings: { state: true },
    layers: { state: true },
    frame: { state: true },
    channel: { state: true },
    hud: { state: true },
    job: { state: true },
    classQuery: { state: true },
    backend: { state: true },
    cameras: { state: true },
    goal: { state: true },
    goalQuery: { state: true },
    preset: { state: true },
    uapReady: { state: true },
    frozen: { state: true },
    helpOpen: { state: true },
    views: { state: true },
    strings: { state: true },
  };

  static override styles = [controlStyles, css`
    :host { display: grid; grid-template-columns: minmax(0, 1fr) 22rem; grid-template-rows: auto 1fr; height: 100vh; gap: 0 1rem; font-size: 1rem; }
    header { grid-column: 1 / -1; display: flex; gap: 1rem; align-items: center; padding: .5rem 1rem; background: #181818; }
    h1 { font-size: 1.4rem; margin: 0; }
    .badge { font-size: .85rem; background: #2a2a2a; padding: .2rem .5rem; border-radius: .3rem; }
    main { display: flex; flex-direction: column; min-height: 0; padding: .5rem 0 .5rem 1rem; }
    .stage { position: relative; flex: 1; min-height: 0; background: #000; }
    .stage video, .stage img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
    .stage canvas.overlay { position: absolute; image-rendering: auto; pointer-events: none; }
    .mirrored { transform: scaleX(-1); }
    .caption { font-size: 1.25rem; line-height: 1.4; margin: .5rem 0; min-height: 3.5em; }
    [role='tablist'] { display: flex; gap: .25rem; flex-wrap: wrap; }
    button[aria-selected='true'] { background: #f6a21a; color: #000; border-color: #f6a21a; }
    aside { overflow-y: auto; padding: .5rem 1rem .5rem 0; display: flex; flex-direction: column; gap: 1rem; }
    section h2 { font-size: .95em; margin: 0 0 .4rem; color: #bbb; }
    label { display: flex; flex-direction: column; gap: .25rem; margin-bottom: .5rem; }
    .notice { background: #3a2a00; border: 1px solid #f6a21a; padding: .5rem .75rem; border-radius: .35rem; }
    .error { background: #4a1010; border-color: #f66; }
    .samples { display: flex; flex-wrap: wrap; gap: .25rem; }
    .filters canvas, .job canvas { width: 100%; image-rendering: pixelated; }
    progress { width: 100%; height: 1rem; }
    .tools { display: flex; gap: .5rem; align-items: center; margin-left: auto; }
    button[aria-pressed='true'] { background: #6cf; color: #000; border-color: #6cf; }
    .frozen-badge { position: absolute; top: .5rem; left: .5rem; z-index: 2; background: #6cf; color: #000; padding: .2rem .6rem; border-radius: .3rem; font-weight: bold; }
    .attract { position: absolute; inset: auto 0 0 0; z-index: 3; padding: 1.5rem 2rem; background: linear-gradient(transparent, rgba(0,0,0,.85) 30%); pointer-events: none; }
    .attract .big { font-size: clamp(1.8rem, 3.2vw, 3.2rem); line-height: 1.25; margin: 0 0 .6rem; font-weight: bold; }
    .attract .prompt { font-size: clamp(1.2rem, 2vw, 2rem); margin: 0; color: #f6c36a; }
    /* Lecture: larger type for projectors. */
    :host(.lecture) { font-size: 1.35rem; }
    :host(.lecture) .caption { font-size: 1.8rem; }
    :host(.lecture) h1 { font-size: 2rem; }
    /* Kiosk: touch-first (big targets), captions readable from a few metres, nothing to select or drag. */
    :host(.kiosk) { font-size: 1.3rem; user-select: none; -webkit-user-select: none; -webkit-touch-callout: none; touch-action: manipulation; }
    :host(.kiosk) button, :host(.kiosk) select { min-height: 3.5rem; padding: .6rem 1.2rem; }
    :host(.kiosk) [role='tablist'] button { font-size: 1.5rem; min-width: 9rem; }
    :host(.kiosk) .caption { font-size: 2rem; }
    .hud { position: fixed; left: .5rem; bottom: .5rem; background: rgba(0,0,0,.8); padding: .5rem .75rem; font: 12px/1.4 ui-monospace, monospace; white-space: pre; border-radius: .35rem; z-index: 10; }
  `];

  status = 'Loading the model…';
  error: string | null = null;
  cameraMessage: string | null = null;
  /** Full-panel error: model files missing or damaged, the worker crashing again and again, an unrecoverable GPU loss. */
  modelError: string | null = null;
  private recoveries = 0;
  private workerRestarts = 0;
  private crashTimes: number[] = [];
  private workerMemory: WorkerMemory | null = null;
  /** A requestAnimationFrame chain of `loop` is alive (so a restart does not start a second one). */
  private looping = false;
  source: ConvLensState['source'] = null;
  settings: LiveSettings = { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch' };
  layers: LayerInfo[] = [];
  frame: LiveFrame | undefined;
  channel = -1;
  hud = false;
  job: (NonNullable<ConvLensState['job']> & { id: number; frozen?: ImageBitmap; result?: JobResult; preview?: RgbaImage }) | null = null;
  /** The class that class visualisation and fooling aim at. */
  goal: { index: number; label: string } = { index: 130, label: 'flamingo' };
  goalQuery = '';
  preset: PresetName = 'l2';
  uapReady = false;
  classQuery = '';
  backend: BackendName | null = null;
  cameras: MediaDeviceInfo[] = [];

  private readonly client = new WorkerClient();
  private model = 'standard';
  private forcedBackend: BackendName | undefined;
  private mirrored = false;
  private frames = 0;
  private lastFrameMs = 0;
  private fps = 0;
  private frameTimes: number[] = [];
  private crop: Crop | undefined;
  private stream: MediaStream | undefined;
  private running = false;
  private benchRunning = false;
  private readonly scheduler = new LatestWins<number>(() => this.processFrame());
  /** Views offered, in order; words on screen (both set by the kiosk file in kiosk mode). */
  views: LiveView[] = [...LIVE_VIEWS];
  strings: UiStrings = DEFAULT_STRINGS;
  helpOpen = false;
  /** The full-size picture held while the frame is frozen; every frame (and job) then uses it. */
  frozen: { picture: ImageBitmap; crop: Crop; width: number; height: number } | undefined;
  private lecture = false;
  private kiosk: KioskController | undefined;
  private kioskConfig: KioskConfig = DEFAULT_KIOSK_CONFIG;
  private kioskProblems: string[] = [];
  private resets = 0;
  private sampleIndex = 0;
  /** Resolves once the kiosk file is read (immediately outside kiosk mode); the model waits for it. */
  private configured: Promise<void> = Promise.resolve();

  override connectedCallback(): void {
    super.connectedCallback();
    window.convlens = {
      state: () => this.state(),
      // In-worker micro-benchmarks (npm run bench:browser); not part of the visitor-facing UI.
      bench: async () => {
        this.benchRunning = true; // live frames would interleave with the measurements
        await new Promise((r) => setTimeout(r, 1500));
        const reply = await this.client.send('bench', {}).reply;
        this.benchRunning = false;
        if (reply.type !== 'bench') throw new Error(reply.type === 'error' ? reply.message : reply.type);
        return reply.figures;
      },
      // Test/operator hook (README, "Resilience"): 'device-loss' destroys the worker's WebGPU device, 'crash' makes
      // the worker throw an uncaught error; the app recovers from either by itself.
      simulate: async (what) => {
        const reply = await this.client.send('simulate', { what }).reply;
        if (reply.type === 'error' && what !== 'crash') throw new Error(reply.message);
      },
    };
    window.addEventListener('keydown', this.onKey);
    const params = new URLSearchParams(location.search);
    const model = params.get('model') ?? 'standard';
    this.model = isModelId(model) ? model : 'standard';
    const backend = params.get('backend');
    this.forcedBackend = (BACKENDS as readonly string[]).includes(backend ?? '') ? (backend as BackendName) : undefined;
    const view = params.get('view');
    if ((LIVE_VIEWS as readonly string[]).includes(view ?? '')) this.settings = { ...this.settings, view: view as LiveView };
    this.lecture = params.has('lecture');
    this.classList.toggle('lecture', this.lecture);
    if (params.has('kiosk')) this.configured = this.enterKiosk(params.get('kiosk') ?? '', params.has('model'));
    this.client.onCrash = (message) => {
      this.workerRestarts++;
      this.running = false; // no frames to the new worker before it is ready
      const now = Date.now();
      this.crashTimes = [...this.crashTimes.filter((t) => now - t < 60_000), now];
      this.client.restart();
      if (this.crashTimes.length > 3) {
        this.modelErrorHeading = 'The analysis keeps stopping';
        this.modelError = `The inference worker stopped ${this.crashTimes.length} times within a minute (last: ${message}).`;
        return;
      }
      this.error = `The inference worker stopped (${message}); restarting it.`;
      void this.start();
    };
    this.client.onStatus = (news) => {
      this.recoveries = news.recoveries;
      if (news.backend) this.backend = news.backend;
      if (news.event === 'device-lost') this.status = 'The graphics device was lost; recovering…';
      else if (news.event === 'recovered') this.status = news.message;
      else {
        this.modelErrorHeading = 'The graphics device could not be recovered';
        this.modelError = news.message;
      }
    };
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onKey);
    this.running = false;
    this.cameraReconnect.stop();
  }

  override firstUpdated(): void {
    void this.start();
  }

  state(): ConvLensState {
    return {
      backend: this.backend,
      model: this.model,
      mode: this.settings.view,
      fps: Math.round(this.fps * 10) / 10,
      frames: this.frames,
      lastFrameMs: Math.round(this.lastFrameMs),
      top5: this.frame?.top5 ?? [],
      stages: Object.fromEntries(Object.entries(this.frame?.stages ?? {}).map(([k, v]) => [k, Math.round(v * 10) / 10])),
      error: this.error,
      source: this.source,
      job: this.job ? { kind: this.job.kind, progress: this.job.progress, state: this.job.state } : null,
      recoveries: this.recoveries,
      workerRestarts: this.workerRestarts,
      workerMemory: this.workerMemory,
      modelError: this.modelError,
      views: this.views,
      layer: this.settings.layer,
      channel: this.channel,
      frozen: this.frozen !== undefined,
      updateReady: appUpdates.updateReady,
      lecture: this.lecture,
      helpOpen: this.helpOpen,
      kiosk: this.kiosk ? { attract: this.kiosk.attract, wakeLock: this.kiosk.wakeLock, resets: this.resets, problems: this.kioskProblems } : null,
    };
  }

  /** Reads the operator's kiosk file; problems are reported (HUD, state(), console) and defaults used instead. */
  private async enterKiosk(param: string, modelInUrl: boolean): Promise<void> {
    const where = kioskConfigUrl(param, location.href);
    let parsed = { config: DEFAULT_KIOSK_CONFIG, problems: [] as string[] };
    if ('problem' in where) {
      parsed.problems.push(where.problem);
    } else {
      try {
        const response = await fetch(where.url);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        parsed = parseKioskConfig(await response.json());
      } catch (err) {
        parsed.problems.push(`the kiosk file ${where.url} could not be read (${err instanceof Error ? err.message : String(err)}); using the defaults`);
      }
    }
    const { config } = parsed;
    this.kioskConfig = config;
    this.kioskProblems = parsed.problems;
    for (const problem of parsed.problems) console.warn(`Kiosk configuration: ${problem}`);
    this.views = config.views;
    this.strings = config.strings;
    if (config.model && !modelInUrl) this.model = config.model;
    this.settings = { ...this.settings, view: config.views[0]! };
    this.classList.add('kiosk');
    this.kiosk = new KioskController(this, config, {
      attractStep: (step) => this.setView(this.views[step % this.views.length]!),
      attractStopped: () => undefined,
      idleReset: () => this.resetVisitor(),
    });
  }

  /** Idle kiosk: back to the start view and the camera; the visitor's snapshots and choices are forgotten. */
  private resetVisitor(): void {
    this.resets++;
    this.cancelJob();
    this.job = null;
    this.unfreeze();
    this.helpOpen = false;
    this.hud = false;
    this.channel = -1;
    this.classQuery = '';
    this.goalQuery = '';
    this.settings = { ...this.settings, view: this.views[0]!, layer: this.startLayer, target: 'top', saliency: 'vanilla', perturb: false, features: false };
    for (const url of this.snapshotUrls.values()) URL.revokeObjectURL(url);
    this.snapshotUrls.clear();
    if (this.source !== 'camera') void this.startCamera();
    // The visitor's snapshots are theirs alone: gone when they leave (imported gallery pictures stay).
    forgetSnapshots().catch((err: unknown) => console.warn('ConvLens: could not forget the snapshots', err));
    // A new version waits for a moment nobody is using the kiosk: now is one.
    if (appUpdates.updateReady) appUpdates.applyUpdate();
  }

  /** The layer the activation grid starts on (the kiosk file may name one). */
  private startLayer = DEFAULT_LIVE_SETTINGS.layer;

  private async start(): Promise<void> {
    this.status = 'Loading the model…';
    await this.configured;
    const { reply } = this.client.send('init', {
      model: this.model as 'standard' | 'lite',
      modelsUrl: new URL('models/', location.href).href,
      galleryUrl: new URL('gallery/', location.href).href,
      ...(this.forcedBackend ? { backend: this.forcedBackend } : {}),
    });
    const ready = await reply;
    if (ready.type !== 'ready') {
      this.modelErrorHeading = 'The model could not be loaded';
      this.modelError = ready.type === 'error' ? ready.message : `unexpected reply ${ready.type}`;
      this.status = '';
      return;
    }
    this.modelError = null;
    this.backend = ready.backend;
    this.layers = ready.layers;
    const wanted = this.kioskConfig.layer;
    if (wanted && ready.layers.some((l) => l.name === wanted)) this.startLayer = wanted;
    else if (wanted) this.kioskProblems = [...this.kioskProblems, `unknown layer "${wanted}"; the grid shows ${this.startLayer}`];
    if (this.frames === 0) this.settings = { ...this.settings, layer: this.startLayer };
    this.kiosk?.restartClock();
    this.status = `Model ${ready.model} on ${ready.backend}: loaded in ${Math.round(ready.loadMs)} ms, warmed up in ${Math.round(ready.warmupMs)} ms`;
    if (!this.source) await this.startCamera();
    this.running = true;
    if (!this.looping) this.loop();
  }

  private modelErrorHeading = 'The model could not be loaded';
  private kioskRetry: ReturnType<typeof setTimeout> | undefined;

  /** Nobody presses "Try again" on an unattended kiosk: it tries again by itself (every 30 s by default). */
  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (!changed.has('modelError')) return;
    clearTimeout(this.kioskRetry);
    if (this.modelError && this.kiosk) this.kioskRetry = setTimeout(this.retryModel, this.kioskConfig.retrySeconds * 1000);
  }

  /** "Try again" on the error screen: a fresh worker loads the model again (no page reload). */
  private retryModel = (): void => {
    this.modelError = null;
    this.crashTimes = [];
    this.error = null;
    this.running = false;
    this.client.restart();
    void this.start();
  };

  /** Offers a frame every animation frame; the scheduler drops offers while the worker is busy (latest wins). */
  private loop = (): void => {
    this.looping = this.running;
    if (!this.running) return;
    if (!this.benchRunning) this.scheduler.offer(performance.now());
    requestAnimationFrame(this.loop);
  };

  private media(): HTMLVideoElement | HTMLImageElement | null {
    return this.renderRoot.querySelector(this.source === 'image' ? '.stage img' : '.stage video');
  }

  /** The model's 224×224 view of the current picture: the frozen one while frozen, else the live media. */
  private async grab(): Promise<Awaited<ReturnType<typeof grabFrame>>> {
    if (this.frozen) {
      const { picture, crop, width, height } = this.frozen;
      const bitmap = await createImageBitmap(picture, crop.x, crop.y, crop.width, crop.height, { resizeWidth: 224, resizeHeight: 224, resizeQuality: 'medium' });
      return { bitmap, crop, width, height };
    }
    const media = this.media();
    if (!media || (media instanceof HTMLVideoElement && media.readyState < 2)) return undefined;
    return grabFrame(media);
  }

  private async freeze(): Promise<void> {
    const media = this.media();
    if (this.frozen || !media) return;
    const grabbed = await grabFrame(media, 224);
    if (!grabbed) return;
    grabbed.bitmap.close();
    this.frozen = { picture: await createImageBitmap(media), crop: grabbed.crop, width: grabbed.width, height: grabbed.height };
    if (media instanceof HTMLVideoElement) media.pause();
  }

  private unfreeze(): void {
    if (!this.frozen) return;
    this.frozen.picture.close();
    this.frozen = undefined;
    const media = this.media();
    if (media instanceof HTMLVideoElement) void media.play().catch(() => undefined);
  }

  private async processFrame(): Promise<void> {
    const grabbed = await this.grab();
    if (!grabbed) return;
    const t0 = performance.now();
    const { reply } = this.client.send('frame', { image: grabbed.bitmap, settings: this.settings }, { transfer: [grabbed.bitmap] });
    const result = await reply;
    if (result.type === 'error') {
      this.error = result.message;
      return;
    }
    if (result.type !== 'frame') return;
    this.crop = grabbed.crop;
    this.frame = result.frame;
    this.workerMemory = result.memory;
    this.frames++;
    this.lastFrameMs = performance.now() - t0;
    const now = performance.now();
    this.frameTimes = [...this.frameTimes.filter((t) => now - t < 2000), now];
    this.fps = this.frameTimes.length > 1 ? (1000 * (this.frameTimes.length - 1)) / (now - this.frameTimes[0]!) : 0;
    if (this.error && !this.error.startsWith('The model')) this.error = null;
    this.drawOverlay(grabbed.width, grabbed.height);
  }

  /** Camera choice: a device id when the visitor picked one, else the facing mode (selfie or rear camera). */
  private deviceId: string | undefined;
  private facing: 'user' | 'environment' = 'user';

  private async startCamera(): Promise<void> {
    this.unfreeze();
    this.cameraReconnect.stop();
    try {
      await this.showCamera(await this.openCamera(true));
    } catch (err) {
      this.cameraMessage = `${cameraErrorMessage(err)} You can still explore the sample pictures, or pick your own image or video.`;
      await this.useImage(`gallery/${SAMPLE_IMAGES[0]}`);
      // Unplugged or busy rather than refused: keep looking for it and switch back by itself (src/ui/camera.ts).
      if (cameraMayReturn(err)) this.cameraReconnect.start();
    }
  }

  /** The chosen camera: exactly that device, or (looking for a re-plugged camera) preferably it. */
  private async openCamera(exact: boolean): Promise<MediaStream> {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('no camera API');
    const which: MediaTrackConstraints = this.deviceId ? { deviceId: exact ? { exact: this.deviceId } : this.deviceId } : { facingMode: this.facing };
    return navigator.mediaDevices.getUserMedia({ video: { ...which, width: { ideal: 1280 } }, audio: false });
  }

  private async showCamera(stream: MediaStream): Promise<void> {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = stream;
    const track = stream.getVideoTracks()[0]!;
    this.mirrored = track.getSettings().facingMode !== 'environment';
    track.addEventListener('ended', () => void this.cameraLost(stream));
    this.source = 'camera';
    this.cameraMessage = null;
    this.cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    this.deviceId = track.getSettings().deviceId;
    await this.updateComplete;
    const video = this.renderRoot.querySelector<HTMLVideoElement>('.stage video')!;
    video.srcObject = stream;
    await video.play();
  }

  /** The live track ended (camera unplugged): a sample picture meanwhile, and back to the camera once it returns. */
  private async cameraLost(stream: MediaStream): Promise<void> {
    if (this.stream !== stream || this.source !== 'camera') return;
    await this.useImage(`gallery/${SAMPLE_IMAGES[0]}`);
    this.cameraMessage = 'The camera was disconnected. Showing a sample picture until it is plugged in again.';
    this.cameraReconnect.start();
  }

  private readonly cameraReconnect = new CameraReconnect(async () => {
    const stream = await this.openCamera(false);
    if (!this.cameraReconnect.watching) {
      stream.getTracks().forEach((t) => t.stop());
      return false;
    }
    await this.showCamera(stream);
    return true;
  });

  private async useImage(url: string): Promise<void> {
    this.cameraReconnect.stop(); // a picture chosen (by the visitor, or as the stand-in for a lost camera)
    this.unfreeze();
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = undefined;
    this.mirrored = false;
    this.source = 'image';
    await this.updateComplete;
    const img = this.renderRoot.querySelector<HTMLImageElement>('.stage img')!;
    img.src = url;
    await img.decode().then(() => showOpaque(img)).catch(() => {
      this.error = 'That picture could not be read (not an image, or damaged).';
    });
  }

  private async useFile(file: File): Promise<void> {
    this.cameraReconnect.stop();
    this.unfreeze();
    const url = URL.createObjectURL(file);
    if (file.type.startsWith('video/')) {
      this.stream?.getTracks().forEach((t) => t.stop());
      this.source = 'video';
      this.mirrored = false;
      await this.updateComplete;
      const video = this.renderRoot.querySelector<HTMLVideoElement>('.stage video')!;
      video.srcObject = null;
      video.src = url;
      video.loop = true;
      await video.play().catch(() => (this.error = 'That video could not be played.'));
    } else if (file.type.startsWith('image/')) {
      await this.useImage(url);
    } else {
      this.error = `“${file.name}” is not an image or a video.`;
    }
  }

  /** Draws the heatmap (or the enlarged channel) over exactly the part of the picture the model saw. */
  private drawOverlay(width: number, height: number): void {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.overlay');
    const media = this.media();
    if (!canvas || !media || !this.crop || !this.frame) return;
    let map: { width: number; height: number; data: Float32Array } | undefined = this.frame.heatmap;
    const acts = this.frame.activations;
    if (this.settings.view === 'activations' && this.channel >= 0 && acts && this.channel < acts.shape[2]) {
      map = { width: acts.shape[1], height: acts.shape[0], data: channelMap(acts as ActivationMaps, this.channel) };
    }
    if (!map || this.settings.view === 'filters' || (this.settings.view === 'activations' && this.channel < 0)) {
      canvas.width = 0;
      return;
    }
    paint(canvas, colorize(map, 'inferno', 0.8));
    // object-fit: contain → where the picture sits inside the stage, then the crop inside the picture.
    const box = media.getBoundingClientRect();
    const stage = media.parentElement!.getBoundingClientRect();
    const scale = Math.min(box.width / width, box.height / height);
    const left = box.left - stage.left + (box.width - width * scale) / 2;
    const top = box.top - stage.top + (box.height - height * scale) / 2;
    const cropLeft = this.mirrored ? width - this.crop.x - this.crop.width : this.crop.x;
    Object.assign(canvas.style, {
      left: `${left + cropLeft * scale}px`,
      top: `${top + this.crop.y * scale}px`,
      width: `${this.crop.width * scale}px`,
      height: `${this.crop.height * scale}px`,
    });
  }

  private setView(view: LiveView): void {
    this.settings = { ...this.settings, view };
    if (view === 'filters') void this.loadFilters();
  }

  private async loadFilters(): Promise<void> {
    const { reply } = this.client.send('filters', {});
    const result = await reply;
    await this.updateComplete;
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('.filters canvas');
    if (result.type === 'image' && canvas) paint(canvas, result.image);
  }

  /**
   * Runs an on-demand mode in the worker. `build` receives the current frame (224×224, the model's view) when
   * the mode needs one; the live view keeps running while the job does.
   */
  private async runMode(kind: string, build: (frame: ImageBitmap | undefined) => JobSpec | undefined, needsFrame: boolean): Promise<void> {
    let frame: ImageBitmap | undefined;
    let frozen: ImageBitmap | undefined;
    if (needsFrame) {
      const grabbed = await this.grab();
      if (!grabbed) return;
      frame = grabbed.bitmap;
      frozen = await createImageBitmap(frame);
    }
    const job = build(frame);
    if (!job) return;
    const onProgress = (done: number, total: number, preview?: RgbaImage): void => {
      if (this.job?.id === id) this.job = { ...this.job, progress: total > 0 ? done / total : 0, ...(preview ? { preview } : {}) };
    };
    const { id, reply }: { id: number; reply: Promise<unknown> } = this.client.send('job', { job }, { transfer: frame ? [frame] : [], progress: onProgress });
    this.job = { id, kind, progress: 0, state: 'running', ...(frozen ? { frozen } : {}) };
    const result = (await reply) as Awaited<ReturnType<WorkerClient['send']>['reply']>;
    if (this.job?.id !== id) return;
    if (result.type === 'done') {
      this.job = { ...this.job, state: 'done', progress: 1, result: result.result };
      // The map shows the live frame as a moving dot: ask the worker for the frame's features from now on.
      this.settings = { ...this.settings, features: result.result.kind === 'embed' };
      if (result.result.kind === 'gallery-add' && frozen) this.rememberSnapshot(result.result.id, frozen);
      if (result.result.kind === 'uap') this.uapReady = true;
    } else if (result.type === 'cancelled') {
      this.job = { ...this.job, state: 'cancelled' };
    } else {
      this.job = { ...this.job, state: 'error' };
      this.error = result.type === 'error' ? result.message : `unexpected reply ${result.type}`;
    }
  }

  private explainJob(index: number): void {
    const spec = JOB_METHODS[index]!;
    const target = this.frame?.target.index;
    if (target === undefined) return;
    void this.runMode(spec.method, (image) => image && spec.spec(image, target), true);
  }

  /** Visitors' snapshots are shown from object URLs of their frozen frames. */
  private readonly snapshotUrls = new Map<string, string>();
  private snapshotCount = 0;

  private rememberSnapshot(id: string, frozen: ImageBitmap): void {
    const canvas = document.createElement('canvas');
    canvas.width = frozen.width;
    canvas.height = frozen.height;
    canvas.getContext('2d')!.drawImage(frozen, 0, 0);
    canvas.toBlob((blob) => blob && this.snapshotUrls.set(id, URL.createObjectURL(blob)));
  }

  /** Stored pictures (imports, snapshots) by their IndexedDB object URLs; bundled ones by their file. */
  private thumbnail = (id: string, name: string): string => storedThumbnail(id) ?? this.snapshotUrls.get(id) ?? `gallery/${name}`;

  private cancelJob(): void {
    if (this.job?.state === 'running') this.client.send('cancel', { job: this.job.id });
  }

  private onKey = (event: KeyboardEvent): void => {
    // Keys typed into a field are the visitor's text; Space/Enter on a button press that button.
    const target = event.composedPath()[0];
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
    if (target instanceof HTMLButtonElement && (event.key === ' ' || event.key === 'Enter')) return;
    const action = shortcutFor(event);
    if (!action || (this.helpOpen && action !== 'help' && action !== 'close')) return;
    event.preventDefault();
    this.perform(action);
    // Arrow keys on the tab strip: keep the focus on the selected tab (the ARIA tabs pattern).
    if (target instanceof HTMLElement && target.getAttribute('role') === 'tab') {
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]')?.focus());
    }
  };

  /** Every keyboard shortcut's action (the table in shortcuts.ts lists them for the `?` overlay). */
  private perform(action: ShortcutAction): void {
    const at = this.views.indexOf(this.settings.view);
    const reluLayers = this.layers.filter((l) => l.name.endsWith('_relu')).map((l) => l.name);
    const layerAt = reluLayers.indexOf(this.settings.layer);
    const channels = this.frame?.activations?.shape[2] ?? 0;
    switch (action) {
      case 'view-1': case 'view-2': case 'view-3': case 'view-4': case 'view-5': {
        const view = this.views[Number(action.slice(5)) - 1];
        if (view) this.setView(view);
        break;
      }
      case 'next-view': this.setView(this.views[(at + 1) % this.views.length]!); break;
      case 'previous-view': this.setView(this.views[(at - 1 + this.views.length) % this.views.length]!); break;
      case 'freeze': if (this.frozen) this.unfreeze(); else void this.freeze(); break;
      case 'export': void this.exportCurrentFigure(); break;
      case 'help': this.helpOpen = !this.helpOpen; break;
      case 'close': this.helpOpen = false; break;
      case 'hud': this.hud = !this.hud; break;
      case 'next-layer': case 'previous-layer': {
        const next = reluLayers[Math.min(reluLayers.length - 1, Math.max(0, layerAt + (action === 'next-layer' ? 1 : -1)))];
        if (next) this.setLayer(next);
        break;
      }
      case 'next-channel': if (channels) this.channel = (this.channel + 1) % channels; break;
      case 'previous-channel': if (channels) this.channel = this.channel <= 0 ? channels - 1 : this.channel - 1; break;
      case 'saliency-method': this.settings = { ...this.settings, saliency: SALIENCY_KINDS[(SALIENCY_KINDS.indexOf(this.settings.saliency) + 1) % SALIENCY_KINDS.length]! }; break;
      case 'top-class': this.settings = { ...this.settings, target: 'top' }; this.classQuery = ''; break;
      case 'camera': void this.startCamera(); break;
      case 'next-picture': void this.useImage(`gallery/${SAMPLE_IMAGES[this.sampleIndex++ % SAMPLE_IMAGES.length]}`); break;
      case 'job-cancel': this.cancelJob(); break;
      default:
        if (!this.kiosk || this.kioskConfig.tools) this.startJob(action);
    }
  }

  /** Every on-demand mode, started by its button or its shortcut (one job at a time). */
  private startJob(action: Exclude<Extract<ShortcutAction, `job-${string}`>, 'job-cancel'>): void {
    if (this.job?.state === 'running') return;
    switch (action) {
      case 'job-occlusion': return this.explainJob(0);
      case 'job-shapley': return this.explainJob(1);
      case 'job-ig': return this.explainJob(2);
      case 'job-visualise': return void this.runMode('class-visualisation', () => ({ kind: 'class-visualisation', classIndex: this.goal.index, preset: this.preset }), false);
      case 'job-fool': return void this.runMode('fool', (image) => image && { kind: 'fool', image, target: this.goal.index }, true);
      case 'job-uap': return void this.runMode('uap', () => ({ kind: 'uap' }), false);
      case 'job-neighbours': return void this.runMode('neighbours', (image) => image && { kind: 'neighbours', image, k: 4 }, true);
      case 'job-tsne': return void this.runMode('embed', () => ({ kind: 'embed', method: 'tsne', seed: 1 }), false);
      case 'job-pca': return void this.runMode('embed', () => ({ kind: 'embed', method: 'pca' }), false);
      case 'job-snapshot': return void this.runMode('gallery-add', (image) => image && { kind: 'gallery-add', image, name: `snapshot ${++this.snapshotCount}` }, true);
      case 'job-patches':
        if (this.channel >= 0) void this.runMode('top-patches', () => ({ kind: 'top-patches', layer: this.settings.layer, channel: this.channel, k: 9 }), false);
    }
  }

  private setLayer(layer: string): void {
    this.settings = { ...this.settings, layer };
    this.channel = -1;
  }

  /** The figure on screen now (picture + overlay, or the grid/filters panel) with its caption, as a PNG download. */
  private async exportCurrentFigure(): Promise<void> {
    const view = this.settings.view;
    const media = this.media();
    const panelSelector = view === 'filters' ? '.filters canvas' : view === 'activations' && this.channel < 0 ? 'activation-grid' : undefined;
    let panel: HTMLCanvasElement | undefined;
    if (panelSelector === 'activation-grid') panel = this.renderRoot.querySelector('activation-grid')?.shadowRoot?.querySelector('canvas') ?? undefined;
    else if (panelSelector) panel = this.renderRoot.querySelector<HTMLCanvasElement>(panelSelector) ?? undefined;
    const source = this.frozen?.picture ?? media;
    const layer = view === 'activations' ? `, layer ${this.settings.layer}${this.channel >= 0 ? ` channel ${this.channel}` : ''}` : '';
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    await exportFigure(
      {
        title: `${this.strings.title} — ${this.strings.viewNames[view]}`,
        caption: this.captionText(),
        footer: `MobileNet v1 ${this.model} on ${this.backend ?? '?'}${layer} · ${new Date().toLocaleString()}`,
        top5: this.frame?.top5 ?? [],
        ...(source && this.crop ? { picture: { source, crop: this.crop, mirrored: this.mirrored } } : {}),
        ...(panel ? { panel } : {}),
        ...(() => {
          const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.overlay');
          return overlay ? { overlay } : {};
        })(),
      },
      `convlens-${view}-${stamp}.png`,
    );
  }

  private captionText(): string {
    const label = this.frame?.target.label.split(',')[0] ?? this.strings.topClass;
    return caption(this.strings.captions[this.settings.view], { label, layer: this.settings.layer });
  }

  private onDrop = (event: DragEvent): void => {
    event.preventDefault();
    if (this.kiosk) return; // visitors bring no files to a kiosk
    const file = event.dataTransfer?.files[0];
    if (file) void this.useFile(file);
  };

  override render() {
    const view = this.settings.view;
    const inKiosk = this.kiosk !== undefined;
    const tools = !inKiosk || this.kioskConfig.tools;
    const matches = this.classQuery.length >= 2 ? searchClasses(this.classQuery, 8) : [];
    const busy = this.job?.state === 'running';
    return html`
      <header>
        <h1>${this.strings.title}</h1>
        <span class="badge" data-testid="backend">${this.backend ?? '…'}</span>
        <span class="badge">${this.model}</span>
        <span role="status">${this.status}</span>
        <span class="tools">
          <button aria-pressed=${this.frozen ? 'true' : 'false'} title="Space or f" @click=${() => this.perform('freeze')}>${this.frozen ? 'Unfreeze' : 'Freeze'}</button>
          ${inKiosk ? nothing : html`<button title="e" @click=${() => this.perform('export')}>Export figure</button>`}
          <button title="?" aria-haspopup="dialog" @click=${() => this.perform('help')}>Shortcuts (?)</button>
        </span>
      </header>
      ${inKiosk ? nothing : html`<update-banner></update-banner>`}
      <main @dragover=${(e: DragEvent) => e.preventDefault()} @drop=${this.onDrop}>
        ${this.modelError ? html`<model-error .heading=${this.modelErrorHeading} .message=${this.modelError} @retry=${this.retryModel}></model-error>` : nothing}
        ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
        ${this.cameraMessage ? html`<p class="notice" role="alert" data-testid="camera-message">${this.cameraMessage}</p>` : nothing}
        <div role="tablist" aria-label="Live views">
          ${this.views.map(
            (v, i) => html`<button role="tab" aria-selected=${v === view} tabindex=${v === view ? 0 : -1} title="Key ${i + 1}" @click=${() => this.setView(v)}>${this.strings.viewNames[v]}</button>`,
          )}
        </div>
        <p class="caption" aria-live="polite">${this.captionText()}</p>
        <div class="stage">
          ${this.frozen ? html`<span class="frozen-badge">Frozen</span>` : nothing}
          ${this.kiosk?.attract
            ? html`<div class="attract" data-testid="attract"><p class="big">${this.strings.viewNames[view]}: ${this.captionText()}</p><p class="prompt">${this.strings.attractPrompt}</p></div>`
            : nothing}
          ${this.source === 'image'
            ? html`<img alt="The picture being analysed" />`
            : html`<video class=${this.mirrored ? 'mirrored' : ''} muted playsinline aria-label="Live camera picture"></video>`}
          <canvas class="overlay ${this.mirrored ? 'mirrored' : ''}" aria-hidden="true"></canvas>
        </div>
      </main>
      <aside>
        <section>
          <h2>${this.strings.networkSees}</h2>
          <top5-bars .predictions=${this.frame?.top5 ?? []}></top5-bars>
        </section>
        ${view === 'activations'
          ? html`<section>
              <label>Layer
                <select @change=${(e: Event) => this.setLayer((e.target as HTMLSelectElement).value)}>
                  ${this.layers.filter((l) => l.name.endsWith('_relu')).map((l) => html`<option value=${l.name} ?selected=${l.name === this.settings.layer}>${l.name} (${l.outputShape.join('×')})</option>`)}
                </select>
              </label>
              <activation-grid .maps=${this.frame?.activations as ActivationMaps | undefined} .selected=${this.channel}
                @channel-selected=${(e: CustomEvent<number>) => (this.channel = e.detail)}></activation-grid>
            </section>`
          : nothing}
        ${view === 'saliency'
          ? html`<section><label>Method
              <select @change=${(e: Event) => (this.settings = { ...this.settings, saliency: (e.target as HTMLSelectElement).value as SaliencyKind })}>
                ${SALIENCY_KINDS.map((k) => html`<option value=${k} ?selected=${k === this.settings.saliency}>${k === 'vanilla' ? 'Gradient' : k === 'guided' ? 'Guided backprop' : 'SmoothGrad'}</option>`)}
              </select></label></section>`
          : nothing}
        ${view === 'saliency' || view === 'gradcam' || view === 'occlusion'
          ? html`<section>
              <label>Explain class
                <input type="search" placeholder="top class — type to choose another" .value=${this.classQuery}
                  @input=${(e: Event) => (this.classQuery = (e.target as HTMLInputElement).value)} />
              </label>
              ${matches.map((m) => html`<button @click=${() => ((this.settings = { ...this.settings, target: m.index }), (this.classQuery = m.label))}>${m.label}</button>`)}
              ${this.settings.target !== 'top' ? html`<button @click=${() => ((this.settings = { ...this.settings, target: 'top' }), (this.classQuery = ''))}>Back to the top class</button>` : nothing}
            </section>`
          : nothing}
        ${view === 'filters' ? html`<section class="filters"><h2>First-layer filters</h2><canvas role="img" aria-label="First-layer filters"></canvas></section>` : nothing}
        ${tools ? html`<section class="job">
          <h2>Freeze the frame and explain it thoroughly</h2>
          ${JOB_METHODS.map((m, i) => html`<button ?disabled=${busy} @click=${() => this.explainJob(i)}>${m.name}</button>`)}
          <h2>Make images by gradient steps</h2>
          <label>Class to aim at: ${this.goal.label.split(',')[0]}
            <input type="search" placeholder="type to choose a class" .value=${this.goalQuery}
              @input=${(e: Event) => (this.goalQuery = (e.target as HTMLInputElement).value)} />
          </label>
          ${(this.goalQuery.length >= 2 ? searchClasses(this.goalQuery, 6) : []).map(
            (m) => html`<button @click=${() => ((this.goal = m), (this.goalQuery = ''))}>${m.label.split(',')[0]}</button>`,
          )}
          <label>Regulariser
            <select @change=${(e: Event) => (this.preset = (e.target as HTMLSelectElement).value as PresetName)}>
              <option value="l2">L2 (Simonyan)</option><option value="yosinski">Blur + decay (Yosinski)</option><option value="lucid-lite">Jitter + blur (Lucid)</option>
            </select>
          </label>
          <button ?disabled=${busy} @click=${() => this.startJob('job-visualise')}>Visualise the class</button>
          <button ?disabled=${busy} @click=${() => this.startJob('job-fool')}>Fool: make this frame a ${this.goal.label.split(',')[0]}</button>
          <button ?disabled=${busy} @click=${() => this.startJob('job-uap')}>Universal perturbation</button>
          ${this.uapReady
            ? html`<label><span><input type="checkbox" .checked=${this.settings.perturb}
                @change=${(e: Event) => (this.settings = { ...this.settings, perturb: (e.target as HTMLInputElement).checked })} /> Apply the perturbation to the camera</span></label>`
            : nothing}
          <h2>Compare with the gallery</h2>
          <button ?disabled=${busy} @click=${() => this.startJob('job-neighbours')}>Nearest neighbours</button>
          <button ?disabled=${busy} @click=${() => this.startJob('job-tsne')}>t-SNE map</button>
          <button ?disabled=${busy} @click=${() => this.startJob('job-pca')}>PCA map</button>
          <button ?disabled=${busy}
            @click=${() => this.startJob('job-snapshot')}>Add this frame to the gallery</button>
          ${view === 'activations' && this.channel >= 0
            ? html`<button ?disabled=${busy}
                @click=${() => this.startJob('job-patches')}>
                Gallery patches that excite channel ${this.channel} most</button>`
            : nothing}
          ${this.job
            ? html`<p>${this.job.kind}: ${this.job.state}</p>
                <progress max="1" .value=${this.job.progress} aria-label="Job progress"></progress>
                ${this.job.state === 'running' ? html`<button @click=${this.cancelJob}>Cancel</button>` : nothing}
                <mode-result .result=${this.job.result} .frozen=${this.job.frozen} .live=${this.frame?.features} .thumbnail=${this.thumbnail}
                  .preview=${this.job.preview}></mode-result>`
            : nothing}
        </section>` : nothing}
        <section>
          <h2>Picture source</h2>
          <div class="samples">
            <button @click=${() => this.startCamera()}>Camera</button>
            <button @click=${() => ((this.facing = this.facing === 'user' ? 'environment' : 'user'), (this.deviceId = undefined), this.startCamera())}>Switch front/back</button>
            ${SAMPLE_IMAGES.map((name) => html`<button @click=${() => this.useImage(`gallery/${name}`)}>${name.replace(/\..*$/, '').replace('_left', '')}</button>`)}
          </div>
          ${this.cameras.length > 1
            ? html`<label>Camera
                <select @change=${(e: Event) => ((this.deviceId = (e.target as HTMLSelectElement).value), this.startCamera())}>
                  ${this.cameras.map((c, i) => html`<option value=${c.deviceId} ?selected=${c.deviceId === this.deviceId}>${c.label || `Camera ${i + 1}`}</option>`)}
                </select></label>`
            : nothing}
          ${inKiosk
            ? nothing
            : html`<label>Your own image or video
                <input type="file" accept="image/*,video/*" @change=${(e: Event) => {
                  const file = (e.target as HTMLInputElement).files?.[0];
                  if (file) void this.useFile(file);
                }} />
              </label>`}
        </section>
        ${inKiosk ? nothing : html`<section><h2>Gallery</h2><gallery-panel></gallery-panel></section>`}
      </aside>
      ${this.helpOpen ? html`<shortcut-help @close=${() => (this.helpOpen = false)}></shortcut-help>` : nothing}
      ${this.hud ? html`<div class="hud" data-testid="hud">${JSON.stringify(this.state(), null, 1).slice(0, 1200)}</div>` : nothing}
    `;
  }
}

customElements.define('convlens-app', ConvLensApp);
