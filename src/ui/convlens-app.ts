import { LitElement, css, html, nothing } from 'lit';
import { type ActivationMaps, channelMap } from '../core/activation-maps';
import type { Prediction } from '../core/classify';
import { searchClasses } from '../core/labels';
import { DEFAULT_LIVE_SETTINGS, LIVE_VIEWS, type LiveFrame, type LiveSettings, type LiveView, SALIENCY_KINDS, type SaliencyKind } from '../core/live/settings';
import { isModelId } from '../core/models';
import type { LayerInfo } from '../core/network';
import type { PresetName } from '../core/optimize/presets';
import type { RgbaImage } from '../core/preprocess';
import { colorize } from '../core/render/image';
import { BACKENDS, type BackendName, type JobResult, type JobSpec } from '../../workers/protocol';
import { LatestWins } from '../../workers/scheduler';
import './activation-grid';
import { paint } from './canvas';
import { type Crop, cameraErrorMessage, grabFrame } from './frame-source';
import './mode-result';
import './top5-bars';
import { WorkerClient } from './worker-client';

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
}

declare global {
  interface Window {
    convlens: { state(): ConvLensState; bench(): Promise<Record<string, number>> };
  }
}

const CAPTIONS: Record<LiveView, (label: string, layer: string) => string> = {
  activations: (_, layer) => `Each tile is one channel of layer ${layer}: bright where that feature detector fires on the picture. Click a tile to enlarge it.`,
  saliency: (label) => `Bright pixels are those whose change would most change the score of “${label}” (gradient saliency).`,
  gradcam: (label) => `Grad-CAM: the regions whose last-layer features raise the score of “${label}”.`,
  occlusion: (label) => `Occlusion: a grey patch slides over the picture; bright where covering it lowers the “${label}” score most.`,
  filters: () => 'The first layer’s colour filters: the edge and colour detectors that everything else is built from.',
};

const VIEW_NAMES: Record<LiveView, string> = {
  activations: 'Activations',
  saliency: 'Saliency',
  gradcam: 'Grad-CAM',
  occlusion: 'Occlusion',
  filters: 'Filters',
};

const SAMPLE_IMAGES = ['coffee.png', 'chelsea.png', 'astronaut.png', 'motorcycle_left.png', 'rocket.jpg'];
const JOB_METHODS = [
  { method: 'occlusion', name: 'Fine occlusion', options: { patch: 32, stride: 8, batchSize: 16 } },
  { method: 'shapley', name: 'Shapley values', options: { grid: 6, permutations: 12, batchSize: 16 } },
  { method: 'integrated-gradients', name: 'Integrated gradients', options: { steps: 32 } },
] as const;

export class ConvLensApp extends LitElement {
  static override properties = {
    status: { state: true },
    error: { state: true },
    cameraMessage: { state: true },
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
  };

  static override styles = css`
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
    button, select, input { font: inherit; color: inherit; background: #2a2a2a; border: 1px solid #555; border-radius: .35rem; padding: .45rem .8rem; min-height: 2.75rem; }
    button[aria-selected='true'] { background: #f6a21a; color: #000; border-color: #f6a21a; }
    button:focus-visible, select:focus-visible, input:focus-visible { outline: 3px solid #6cf; outline-offset: 2px; }
    aside { overflow-y: auto; padding: .5rem 1rem .5rem 0; display: flex; flex-direction: column; gap: 1rem; }
    section h2 { font-size: 1rem; margin: 0 0 .4rem; color: #bbb; }
    label { display: flex; flex-direction: column; gap: .25rem; margin-bottom: .5rem; }
    .notice { background: #3a2a00; border: 1px solid #f6a21a; padding: .5rem .75rem; border-radius: .35rem; }
    .error { background: #4a1010; border-color: #f66; }
    .samples { display: flex; flex-wrap: wrap; gap: .25rem; }
    .filters canvas, .job canvas { width: 100%; image-rendering: pixelated; }
    progress { width: 100%; height: 1rem; }
    .hud { position: fixed; left: .5rem; bottom: .5rem; background: rgba(0,0,0,.8); padding: .5rem .75rem; font: 12px/1.4 ui-monospace, monospace; white-space: pre; border-radius: .35rem; z-index: 10; }
  `;

  status = 'Loading the model…';
  error: string | null = null;
  cameraMessage: string | null = null;
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
    };
    window.addEventListener('keydown', this.onKey);
    const params = new URLSearchParams(location.search);
    const model = params.get('model') ?? 'standard';
    this.model = isModelId(model) ? model : 'standard';
    const backend = params.get('backend');
    this.forcedBackend = (BACKENDS as readonly string[]).includes(backend ?? '') ? (backend as BackendName) : undefined;
    const view = params.get('view');
    if ((LIVE_VIEWS as readonly string[]).includes(view ?? '')) this.settings = { ...this.settings, view: view as LiveView };
    this.client.onCrash = (message) => {
      this.error = `The inference worker stopped (${message}); restarting it.`;
      this.client.restart();
      void this.start();
    };
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onKey);
    this.running = false;
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
    };
  }

  private async start(): Promise<void> {
    this.status = 'Loading the model…';
    const { reply } = this.client.send('init', {
      model: this.model as 'standard' | 'lite',
      modelsUrl: new URL('models/', location.href).href,
      galleryUrl: new URL('gallery/', location.href).href,
      ...(this.forcedBackend ? { backend: this.forcedBackend } : {}),
    });
    const ready = await reply;
    if (ready.type !== 'ready') {
      this.error = `The model could not be loaded: ${ready.type === 'error' ? ready.message : ready.type}`;
      this.status = '';
      return;
    }
    this.backend = ready.backend;
    this.layers = ready.layers;
    this.status = `Model ${ready.model} on ${ready.backend}: loaded in ${Math.round(ready.loadMs)} ms, warmed up in ${Math.round(ready.warmupMs)} ms`;
    if (!this.source) await this.startCamera();
    this.running = true;
    this.loop();
  }

  /** Offers a frame every animation frame; the scheduler drops offers while the worker is busy (latest wins). */
  private loop = (): void => {
    if (!this.running) return;
    if (!this.benchRunning) this.scheduler.offer(performance.now());
    requestAnimationFrame(this.loop);
  };

  private media(): HTMLVideoElement | HTMLImageElement | null {
    return this.renderRoot.querySelector(this.source === 'image' ? '.stage img' : '.stage video');
  }

  private async processFrame(): Promise<void> {
    const media = this.media();
    if (!media || (media instanceof HTMLVideoElement && media.readyState < 2)) return;
    const grabbed = await grabFrame(media);
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
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new Error('no camera API');
      const which: MediaTrackConstraints = this.deviceId ? { deviceId: { exact: this.deviceId } } : { facingMode: this.facing };
      const stream = await navigator.mediaDevices.getUserMedia({ video: { ...which, width: { ideal: 1280 } }, audio: false });
      this.stream?.getTracks().forEach((t) => t.stop());
      this.stream = stream;
      const track = stream.getVideoTracks()[0]!;
      this.mirrored = track.getSettings().facingMode !== 'environment';
      track.addEventListener('ended', () => {
        this.cameraMessage = 'The camera was disconnected. Showing a sample picture instead.';
        void this.useImage(`gallery/${SAMPLE_IMAGES[0]}`);
      });
      this.source = 'camera';
      this.cameraMessage = null;
      this.cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
      this.deviceId = track.getSettings().deviceId;
      await this.updateComplete;
      const video = this.renderRoot.querySelector<HTMLVideoElement>('.stage video')!;
      video.srcObject = stream;
      await video.play();
    } catch (err) {
      this.cameraMessage = `${cameraErrorMessage(err)} You can still explore the sample pictures, or pick your own image or video.`;
      await this.useImage(`gallery/${SAMPLE_IMAGES[0]}`);
    }
  }

  private async useImage(url: string): Promise<void> {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = undefined;
    this.mirrored = false;
    this.source = 'image';
    await this.updateComplete;
    const img = this.renderRoot.querySelector<HTMLImageElement>('.stage img')!;
    img.src = url;
    await img.decode().catch(() => {
      this.error = 'That picture could not be read (not an image, or damaged).';
    });
  }

  private async useFile(file: File): Promise<void> {
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
      const media = this.media();
      const grabbed = media ? await grabFrame(media) : undefined;
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
    void this.runMode(spec.method, (image) => image && { kind: 'explain', method: spec.method, classIndex: target, image, options: spec.options }, true);
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

  private thumbnail = (id: string, name: string): string => this.snapshotUrls.get(id) ?? `gallery/${name}`;

  private cancelJob(): void {
    if (this.job?.state === 'running') this.client.send('cancel', { job: this.job.id });
  }

  private onKey = (event: KeyboardEvent): void => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
    if (event.key === 'h') this.hud = !this.hud;
    const n = Number(event.key);
    if (n >= 1 && n <= LIVE_VIEWS.length) this.setView(LIVE_VIEWS[n - 1]!);
  };

  private onDrop = (event: DragEvent): void => {
    event.preventDefault();
    const file = event.dataTransfer?.files[0];
    if (file) void this.useFile(file);
  };

  override render() {
    const label = this.frame?.target.label.split(',')[0] ?? 'the top class';
    const view = this.settings.view;
    const matches = this.classQuery.length >= 2 ? searchClasses(this.classQuery, 8) : [];
    const busy = this.job?.state === 'running';
    return html`
      <header>
        <h1>ConvLens</h1>
        <span class="badge" data-testid="backend">${this.backend ?? '…'}</span>
        <span class="badge">${this.model}</span>
        <span role="status">${this.status}</span>
      </header>
      <main @dragover=${(e: DragEvent) => e.preventDefault()} @drop=${this.onDrop}>
        ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
        ${this.cameraMessage ? html`<p class="notice" role="alert" data-testid="camera-message">${this.cameraMessage}</p>` : nothing}
        <div role="tablist" aria-label="Live views">
          ${LIVE_VIEWS.map(
            (v, i) => html`<button role="tab" aria-selected=${v === view} title="Key ${i + 1}" @click=${() => this.setView(v)}>${VIEW_NAMES[v]}</button>`,
          )}
        </div>
        <p class="caption" aria-live="polite">${CAPTIONS[view](label, this.settings.layer)}</p>
        <div class="stage">
          ${this.source === 'image'
            ? html`<img alt="The picture being analysed" />`
            : html`<video class=${this.mirrored ? 'mirrored' : ''} muted playsinline aria-label="Live camera picture"></video>`}
          <canvas class="overlay ${this.mirrored ? 'mirrored' : ''}" aria-hidden="true"></canvas>
        </div>
      </main>
      <aside>
        <section>
          <h2>The network sees</h2>
          <top5-bars .predictions=${this.frame?.top5 ?? []}></top5-bars>
        </section>
        ${view === 'activations'
          ? html`<section>
              <label>Layer
                <select @change=${(e: Event) => ((this.settings = { ...this.settings, layer: (e.target as HTMLSelectElement).value }), (this.channel = -1))}>
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
        <section class="job">
          <h2>Freeze the frame and explain it thoroughly</h2>
          ${JOB_METHODS.map((m, i) => html`<button ?disabled=${this.job?.state === 'running'} @click=${() => this.explainJob(i)}>${m.name}</button>`)}
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
          <button ?disabled=${busy} @click=${() => this.runMode('class-visualisation', () => ({ kind: 'class-visualisation', classIndex: this.goal.index, preset: this.preset, steps: 60 }), false)}>Visualise the class</button>
          <button ?disabled=${busy} @click=${() => this.runMode('fool', (image) => image && { kind: 'fool', image, target: this.goal.index, eps: 8 }, true)}>Fool: make this frame a ${this.goal.label.split(',')[0]}</button>
          <button ?disabled=${busy} @click=${() => this.runMode('uap', () => ({ kind: 'uap', eps: 10, maxPasses: 3 }), false)}>Universal perturbation</button>
          ${this.uapReady
            ? html`<label><span><input type="checkbox" .checked=${this.settings.perturb}
                @change=${(e: Event) => (this.settings = { ...this.settings, perturb: (e.target as HTMLInputElement).checked })} /> Apply the perturbation to the camera</span></label>`
            : nothing}
          <h2>Compare with the gallery</h2>
          <button ?disabled=${this.job?.state === 'running'} @click=${() => this.runMode('neighbours', (image) => image && { kind: 'neighbours', image, k: 4 }, true)}>Nearest neighbours</button>
          <button ?disabled=${this.job?.state === 'running'} @click=${() => this.runMode('embed', () => ({ kind: 'embed', method: 'tsne', seed: 1 }), false)}>t-SNE map</button>
          <button ?disabled=${this.job?.state === 'running'} @click=${() => this.runMode('embed', () => ({ kind: 'embed', method: 'pca' }), false)}>PCA map</button>
          <button ?disabled=${this.job?.state === 'running'}
            @click=${() => this.runMode('gallery-add', (image) => image && { kind: 'gallery-add', image, name: `snapshot ${++this.snapshotCount}` }, true)}>Add this frame to the gallery</button>
          ${view === 'activations' && this.channel >= 0
            ? html`<button ?disabled=${this.job?.state === 'running'}
                @click=${() => this.runMode('top-patches', () => ({ kind: 'top-patches', layer: this.settings.layer, channel: this.channel, k: 9 }), false)}>
                Gallery patches that excite channel ${this.channel} most</button>`
            : nothing}
          ${this.job
            ? html`<p>${this.job.kind}: ${this.job.state}</p>
                <progress max="1" .value=${this.job.progress} aria-label="Job progress"></progress>
                ${this.job.state === 'running' ? html`<button @click=${this.cancelJob}>Cancel</button>` : nothing}
                <mode-result .result=${this.job.result} .frozen=${this.job.frozen} .live=${this.frame?.features} .thumbnail=${this.thumbnail}
                  .preview=${this.job.preview}></mode-result>`
            : nothing}
        </section>
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
          <label>Your own image or video
            <input type="file" accept="image/*,video/*" @change=${(e: Event) => {
              const file = (e.target as HTMLInputElement).files?.[0];
              if (file) void this.useFile(file);
            }} />
          </label>
        </section>
      </aside>
      ${this.hud ? html`<div class="hud" data-testid="hud">${JSON.stringify(this.state(), null, 1).slice(0, 1200)}</div>` : nothing}
    `;
  }
}

customElements.define('convlens-app', ConvLensApp);
