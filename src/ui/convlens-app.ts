import { ContextProvider } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import type { Simulation } from '../../workers/protocol';
import { CHOICE_STORAGE_PREFIX } from '../../workers/backend-choice';
import { Actions } from './actions';
import { type AppState, type ConvLensState, initialState, toConvLensState } from './app-state';
import { appContext } from './context';
import { JobController } from './controllers/job-controller';
import { OwnModels } from './controllers/own-models';
import { listOwnModels, removeOwnModel } from '../../workers/own-model-store';
import { LiveFrames } from './controllers/live-frames';
import { ShortcutsController } from './controllers/shortcuts-controller';
import { SourceController } from './controllers/source-controller';
import { StoreController } from './controllers/store-controller';
import { TeachController } from './controllers/teach-controller';
import { WorkerSupervisor } from './controllers/worker-supervisor';
import { exportViewFigure } from './figure-export';
import { browserSourceEnv } from './frame-source';
import { SnapshotThumbnails } from './jobs/snapshots';
import { KioskController } from './controllers/kiosk-controller';
import { loadKioskConfig } from './kiosk-config';
import { appUpdates } from './pwa';
import { Store } from './store';
import { WorkerClient } from './worker-client';
import type { StageView } from './views/stage-view';
import type { ViewTabs } from './views/view-tabs';
import './views/app-header';
import './views/gallery-panel';
import './views/job-launcher';
import './views/live-controls';
import './views/model-error';
import './views/own-model-panel';
import './views/shortcut-help';
import './views/about-panel';
import './views/bias-notice';
import './views/teach-panel';
import './views/source-panel';
import './views/stage-view';
import './views/top5-bars';
import './views/update-banner';
import './views/view-tabs';

export type { ConvLensState } from './app-state';

declare global {
  interface Window {
    convlens: { state(): ConvLensState; bench(): Promise<Record<string, number>>; simulate(what: Simulation): Promise<void> };
  }
}

/**
 * The app shell: creates the store and the controllers (worker supervision, picture source, live frames, jobs,
 * kiosk, shortcuts), provides them to the views through @lit/context, lays the views out for every screen, and
 * offers `window.convlens` to operators and tests. Everything else lives in src/ui/controllers and src/ui/views.
 */
export class ConvLensApp extends LitElement {
  static override styles = css`
    :host { display: grid; grid-template: 'header header' auto 'banner banner' auto 'main aside' minmax(0, 1fr) / minmax(0, 1fr) 22em; height: 100vh; height: 100dvh; }
    :host(.lecture) { font-size: 1.35rem; }
    :host(.kiosk) { font-size: 1.3rem; --control-height: 3.5rem; --control-padding: .6rem 1.2rem; user-select: none; -webkit-user-select: none; -webkit-touch-callout: none; touch-action: manipulation; }
    app-header { grid-area: header; }
    update-banner { grid-area: banner; }
    main { grid-area: main; display: flex; flex-direction: column; gap: .25rem; min-width: 0; min-height: 0; padding: .5rem 0 .5rem 1rem; }
    stage-view { flex: 1; }
    aside { grid-area: aside; display: flex; flex-direction: column; gap: 1.1rem; min-height: 0; overflow-y: auto; padding: .5rem 1rem 1rem; }
    section h2 { font-size: .95em; margin: 0 0 .4rem; color: #bbb; font-weight: normal; }
    .notice { margin: 0; background: #3a2a00; border: 1px solid #f6a21a; padding: .5rem .75rem; border-radius: .35rem; }
    .error { background: #4a1010; border-color: #f66; }
    .attract { padding: .5rem 1rem; border-left: .4rem solid #f6a21a; background: #1c1c1c; border-radius: .35rem; }
    .attract .big { font-size: clamp(1.8rem, 3vw, 3.2rem); line-height: 1.2; margin: 0; font-weight: bold; }
    .attract .prompt { font-size: clamp(1.2rem, 1.8vw, 2rem); margin: .3rem 0 0; color: #f6c36a; }
    .hud { position: fixed; left: .5rem; bottom: .5rem; max-width: calc(100vw - 1rem); max-height: 60vh; overflow: auto; box-sizing: border-box; background: rgba(0,0,0,.85); padding: .5rem .75rem; font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; border-radius: .35rem; z-index: 60; }
    /* Portrait screens (phones, tablets): one column that scrolls; the stage sizes itself (stage-view). */
    @media (orientation: portrait) {
      :host { display: block; height: auto; }
      main { padding: .5rem .75rem; }
      stage-view { flex: none; }
      aside { padding: .5rem .75rem 2rem; overflow: visible; }
    }
    /* Short landscape screens (phones on their side): two columns, the page scrolls, the stage fills the height. */
    @media (orientation: landscape) and (max-height: 540px) {
      :host { grid-template-rows: auto auto auto; grid-template-columns: minmax(0, 1fr) 17em; height: auto; }
      stage-view { flex: none; height: calc(100vh - 1rem); height: calc(100dvh - 1rem); }
      aside { overflow: visible; }
    }
  `;

  private readonly store = new Store<AppState>(initialState(location.search));
  private readonly client = new WorkerClient();
  private readonly snapshots = new SnapshotThumbnails();
  private readonly source = new SourceController(this, this.store, browserSourceEnv());
  private readonly live = new LiveFrames(this, this.store, this.client, () => this.source.grab());
  private readonly jobs = new JobController(this, this.store, this.client, {
    grab: () => this.source.grab(),
    copy: (bitmap) => createImageBitmap(bitmap),
    rememberSnapshot: (id, frame) => this.snapshots.remember(id, frame),
  });
  /** Resolves once the kiosk file is read (at once outside kiosk mode); the model waits for it. */
  private configured: Promise<void> = Promise.resolve();
  private readonly supervisor = new WorkerSupervisor(this, this.store, this.client, {
    configured: () => this.configured,
    ready: async () => {
      this.firstFrameAfterLoad = true;
      if (!this.store.state.source) await this.source.startCamera();
      this.live.start();
    },
    stopFrames: () => this.live.stop(),
    remembered: () => rememberedChoices(),
    remember: (key, text) => localStorage.setItem(CHOICE_STORAGE_PREFIX + key, text),
  }, location.href);
  private readonly ownModels = new OwnModels(this, this.store, this.client, this.supervisor, {
    list: listOwnModels,
    remove: removeOwnModel,
    // The model in use stays in the address (?model=NAME), so a reload runs it again.
    remember: (model) => {
      const url = new URL(location.href);
      if (model) url.searchParams.set('model', model);
      else url.searchParams.delete('model');
      history.replaceState(history.state, '', url);
    },
  });
  private readonly teach = new TeachController(this, this.store, this.client, {
    grab: () => this.source.grab(),
    thumbnail: thumbnailUrl,
    release: (url) => URL.revokeObjectURL(url),
    train: () => void this.jobs.start('teach'),
    cancelTraining: () => {
      if (this.store.state.job?.kind === 'teach') this.jobs.cancel();
    },
  });
  private readonly actions = new Actions({
    store: this.store, client: this.client, source: this.source, jobs: this.jobs, supervisor: this.supervisor, ownModels: this.ownModels, snapshots: this.snapshots, teach: this.teach,
    exportFigure: async () => {
      const stage = this.renderRoot.querySelector<StageView>('stage-view');
      if (stage) await exportViewFigure(this.store.state, this.source.figurePicture(), stage.figureParts());
    },
  });
  private kiosk: KioskController | undefined;
  /** Loading is not idleness: a kiosk's idle clock starts again when the first frame after a (re)load is shown. */
  private firstFrameAfterLoad = false;

  constructor() {
    super();
    new ContextProvider(this, { context: appContext, initialValue: { store: this.store, actions: this.actions } });
    new StoreController(this, this.store, ['error', 'cameraMessage', 'modelError', 'attract', 'helpOpen', 'aboutOpen', 'hud', 'kiosk', 'lecture', 'settings', 'strings', 'frame', 'status', 'teachOffered', 'teach']);
    this.store.subscribe((_, changed) => {
      if (!changed.has('frames') || !this.firstFrameAfterLoad) return;
      this.firstFrameAfterLoad = false;
      this.kiosk?.restartClock();
    });
    new ShortcutsController(this, {
      // An open overlay (shortcut list or About) takes only its own keys.
      helpOpen: () => this.store.state.helpOpen || this.store.state.aboutOpen,
      perform: (action) => this.actions.perform(action),
      refocusTab: () => void this.renderRoot.querySelector<ViewTabs>('view-tabs')?.focusSelected(),
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.convlens = {
      state: () => toConvLensState(this.store.state, appUpdates.updateReady),
      // In-worker micro-benchmarks (npm run bench:browser); not part of the visitor-facing UI.
      bench: async () => {
        this.live.paused = true; // live frames would interleave with the measurements
        await new Promise((r) => setTimeout(r, 1500));
        const reply = await this.client.send('bench', {}).reply;
        this.live.paused = false;
        if (reply.type === 'error') throw new Error(reply.message);
        return reply.figures;
      },
      // Test/operator hook (README, "Resilience"): 'device-loss' destroys the worker's WebGPU device, 'crash' makes
      // the worker throw an uncaught error; the app recovers from either by itself.
      simulate: async (what) => {
        const reply = await this.client.send('simulate', { what }).reply;
        if (reply.type === 'error' && what !== 'crash') throw new Error(reply.message);
      },
    };
    const s = this.store.state;
    this.classList.toggle('lecture', s.lecture);
    if (s.kiosk) this.configured = this.enterKiosk(new URLSearchParams(location.search));
    // An own model named by ?model= or the kiosk file is looked up before the model loads.
    this.configured = this.configured.then(() => this.ownModels.resolveAsked());
  }

  override firstUpdated(): void {
    void this.supervisor.start();
  }

  /** Reads the operator's kiosk file; problems are reported (HUD, state(), console) and defaults used instead. */
  private async enterKiosk(params: URLSearchParams): Promise<void> {
    this.classList.add('kiosk');
    const { config, problems } = await loadKioskConfig(params.get('kiosk') ?? '', location.href);
    for (const problem of problems) console.warn(`Kiosk configuration: ${problem}`);
    this.store.update((s) => ({
      views: config.views, strings: config.strings, tools: config.tools, teachOffered: config.teach, retrySeconds: config.retrySeconds, wantedLayer: config.layer,
      kioskProblems: problems, settings: { ...s.settings, view: config.views[0]! },
      ...(config.model && !params.has('model') ? { model: config.model, forcedModel: config.model } : {}),
      ...(config.ownModel && !params.has('model') ? { askedModel: config.ownModel } : {}),
    }));
    this.kiosk = new KioskController(this, config, {
      attractStep: (step) => this.actions.setView(this.store.state.views[step % this.store.state.views.length]!),
      attractStopped: () => undefined,
      idleReset: () => this.actions.resetVisitor(),
      changed: () => this.store.set({ attract: this.kiosk?.attract ?? false, wakeLock: this.kiosk?.wakeLock ?? 'released' }),
    });
  }

  private readonly onDrop = (event: DragEvent): void => {
    event.preventDefault();
    const file = event.dataTransfer?.files[0];
    if (file) this.actions.useFile(file);
  };

  override render() {
    const s = this.store.state;
    const mode = s.kiosk ? 'kiosk' : s.lecture ? 'lecture' : '';
    return html`
      <app-header></app-header>
      ${s.kiosk ? nothing : html`<update-banner></update-banner>`}
      <main @dragover=${(e: DragEvent) => e.preventDefault()} @drop=${this.onDrop}>
        ${s.modelError
          ? html`<model-error .heading=${s.modelError.heading} .message=${s.modelError.message} ?visitor=${s.kiosk} @retry=${() => this.actions.retryModel()}></model-error>`
          : nothing}
        ${s.error ? html`<p class="notice error" role="alert">${s.error}</p>` : nothing}
        ${s.cameraMessage ? html`<p class="notice" role="alert" data-testid="camera-message">${s.cameraMessage}</p>` : nothing}
        <view-tabs class=${mode}></view-tabs>
        <stage-view></stage-view>
        ${s.teach.taught ? html`<bias-notice></bias-notice>` : nothing}
        ${s.attract
          ? html`<div class="attract" data-testid="attract"><p class="big">${s.strings.viewNames[s.settings.view]}</p><p class="prompt">${s.strings.attractPrompt}</p></div>`
          : nothing}
      </main>
      <aside>
        <section><h2>${s.strings.networkSees}</h2><top5-bars .predictions=${s.frame?.top5 ?? []}></top5-bars></section>
        <live-controls></live-controls>
        ${s.teachOffered ? html`<section><h2>Teach your own classes</h2><teach-panel></teach-panel></section>` : nothing}
        <job-launcher></job-launcher>
        <section><source-panel></source-panel></section>
        ${s.kiosk ? nothing : html`<section><h2>Your own model</h2><own-model-panel></own-model-panel></section>`}
        ${s.kiosk ? nothing : html`<section><h2>Gallery</h2><gallery-panel></gallery-panel></section>`}
      </aside>
      ${s.helpOpen ? html`<shortcut-help @close=${() => this.store.set({ helpOpen: false })}></shortcut-help>` : nothing}
      ${s.aboutOpen ? html`<about-panel @close=${() => this.store.set({ aboutOpen: false })}></about-panel>` : nothing}
      ${s.hud ? html`<div class="hud" data-testid="hud">${this.hudText()}</div>` : nothing}
    `;
  }

  /** The operator's view (key h): the state, plus what visitors are not shown (status, model error detail, kiosk problems). */
  private hudText(): string {
    const s = this.store.state;
    const state = JSON.stringify({ ...toConvLensState(s, appUpdates.updateReady), choice: undefined }, null, 1).slice(0, 1200);
    const choice = s.choice ? `\nchoice (${s.choice.how}): ${s.choice.backend} + ${s.choice.model}; ${s.choice.reason} Live budget ${s.choice.budget.budgetMs} ms/frame: SmoothGrad ${plural(s.choice.budget.smoothSamples, 'sample')}, occlusion ${plural(s.choice.budget.occlusionBatch, 'patch', 'patches')} per frame.` : '';
    return `${choice.trimStart()}${choice ? '\n' : ''}${state}\nstatus: ${s.status}${s.modelError ? `\nmodel error: ${s.modelError.message}` : ''}`;
  }
}

/** A 64×64 JPEG of a frame as an object URL (a Teach mode example's thumbnail). */
async function thumbnailUrl(bitmap: ImageBitmap): Promise<string> {
  const canvas = new OffscreenCanvas(64, 64);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, 64, 64);
  return URL.createObjectURL(await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 }));
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Backend choices measured earlier in this browser (localStorage), by device key; {} where storage is unavailable. */
function rememberedChoices(): Record<string, string> {
  const found: Record<string, string> = {};
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(CHOICE_STORAGE_PREFIX)) found[key.slice(CHOICE_STORAGE_PREFIX.length)] = localStorage.getItem(key) ?? '';
    }
  } catch {
    // storage blocked: measure every time
  }
  return found;
}

customElements.define('convlens-app', ConvLensApp);
