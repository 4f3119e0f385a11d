import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ForwardEngine, WorkerStatus } from '../../../workers/protocol';
import { CHOICE_VERSION, type RememberedChoice, type StartChoice } from '../../../workers/backend-choice';
import { type AppState, withLabels } from '../app-state';
import { DEFAULT_LIVE_SETTINGS } from '../../core/live/settings';
import { type ModelId, type ModelName, isModelId } from '../../core/models';
import type { LayerInfo } from '../../core/network';
import { gridLayers } from '../live-status';
import type { Store } from '../store';
import type { InferenceClient } from '../worker-client';

/** What the supervisor asks of the app around loading the model. */
export interface SupervisorHooks {
  /** Resolves once the app is configured (the kiosk file read); the model waits for it. */
  configured(): Promise<void>;
  /** The model is loaded: start the picture source (the first time) and the frame loop. */
  ready(): Promise<void>;
  /** No more frames to this worker (it crashed, or is being replaced). */
  stopFrames(): void;
  /** Backend choices remembered on this device, by device key (the browser: localStorage). */
  remembered?(): Record<string, string>;
  /** Remembers a measured choice under its device key. */
  remember?(deviceKey: string, text: string): void;
}

/** Wall-clock time and timers (a fake one in tests). */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** More crashes than this within a minute stop the restarts and show the error screen. */
export const MAX_CRASHES_PER_MINUTE = 3;

/**
 * Supervises the inference worker: loads the model (init), restarts the worker when it crashes (and gives up,
 * with the error screen, after more than three crashes in a minute), follows the worker's news about a lost GPU
 * device, and retries the model: "Try again" on the error screen, or by itself every `retrySeconds` in a kiosk
 * where nobody presses it. Operators' words go to `status` (and the console); visitors' to `visitorStatus`.
 */
export class WorkerSupervisor implements ReactiveController {
  private crashTimes: number[] = [];
  private retryTimer: unknown;
  /** Choices measured in this page (a restarted worker reuses them even where localStorage is unavailable). */
  private readonly measured: Record<string, string> = {};

  constructor(
    host: ReactiveControllerHost,
    private readonly store: Store<AppState>,
    private readonly client: InferenceClient,
    private readonly hooks: SupervisorHooks,
    /** Where models/ and gallery/ are served (the app's own origin). */
    private readonly baseUrl: string,
    private readonly clock: Clock = realClock,
    private readonly log: Pick<Console, 'info' | 'error'> = console,
  ) {
    host.addController(this);
    client.onCrash = (message) => this.crashed(message);
    client.onStatus = (news) => this.news(news);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.clock.clearTimeout(this.retryTimer);
  }

  /** Loads the model in the worker; on success the app starts its source and frames (hooks.ready). */
  async start(): Promise<void> {
    this.store.set({ status: 'Loading the model…', visitorStatus: 'Getting ready…', ready: false });
    await this.hooks.configured();
    const s = this.store.state;
    const { reply } = this.client.send('init', {
      model: s.model,
      modelsUrl: new URL('models/', this.baseUrl).href,
      galleryUrl: new URL('gallery/', this.baseUrl).href,
      ...(s.forcedBackend ? { backend: s.forcedBackend } : {}),
      ...(s.wasm ? {} : { wasm: false }),
      // Without a forced backend or model the worker chooses them by measurement (workers/backend-choice.ts).
      ...(!s.forcedBackend || !s.forcedModel ? { auto: { model: !s.forcedModel, remembered: { ...this.hooks.remembered?.(), ...this.measured } } } : {}),
    });
    const ready = await reply;
    if (ready.type === 'error') {
      this.fail('The model could not be loaded', ready.message);
      return;
    }
    const now = this.store.state;
    let { kioskProblems } = now;
    // The grid starts on MobileNet's conv_pw_3_relu where the model has it (an own model: a layer a third of the way in).
    let startLayer = defaultLayer(ready.layers);
    const wanted = now.wantedLayer;
    if (wanted && ready.layers.some((l) => l.name === wanted)) startLayer = wanted;
    else if (wanted) kioskProblems = [...kioskProblems, `unknown layer "${wanted}"; the grid shows ${startLayer}`];
    const choice = ready.choice;
    const chosen = choice && choice.how !== 'forced' ? ` (${choice.how === 'measured' ? 'chosen by measurement' : 'chosen earlier on this device'})` : '';
    // A model kept from the measurement was warmed up while it was timed (warmupMs 0).
    const timing = ready.warmupMs > 0 || !choice ? `loaded in ${Math.round(ready.loadMs)} ms, warmed up in ${Math.round(ready.warmupMs)} ms` : `loaded, warmed up and timed in ${Math.round(ready.loadMs)} ms`;
    // The header keeps one short line; why this backend and model (renderers, timings) is in the HUD and the log.
    const forward = ready.forward ? `, forward passes on ${forwardLabel(ready.forward)}` : '';
    const status = `Model ${ready.model} on ${ready.backend}${chosen}${forward}: ${timing}`;
    this.log.info(`ConvLens: ${status}${choice?.reason ? `. ${choice.reason}` : ''}`);
    // Only choices for the bundled models are remembered (an own model runs on the device's remembered backend).
    if (choice?.how === 'measured' && isModelId(choice.model)) this.rememberChoice({ ...choice, model: choice.model });
    const budget = choice?.budget;
    // Another model (the picker): its layers and classes replace the previous model's.
    const layerKnown = ready.layers.some((l) => l.name === now.settings.layer);
    const classes = withLabels(now, ready.labels);
    const settings = now.frames === 0 || !layerKnown ? { ...classes.settings, layer: startLayer } : classes.settings;
    this.store.set({
      modelError: null,
      backend: ready.backend,
      forward: ready.forward ?? null,
      model: ready.model,
      choice: choice ?? null,
      layers: ready.layers,
      labels: classes.labels,
      goal: classes.goal,
      ...(layerKnown ? {} : { channel: -1 }),
      ready: true,
      startLayer,
      kioskProblems,
      // Live SmoothGrad and occlusion sized to the measured per-frame budget.
      settings: budget ? { ...settings, smoothSamples: budget.smoothSamples, occlusion: { ...settings.occlusion, batchSize: budget.occlusionBatch } } : settings,
      status,
      visitorStatus: choice?.note ?? '',
    });
    await this.hooks.ready();
  }

  /**
   * Runs another model (the model picker, "Your own model"): a bundled id or a stored model's name, or undefined to
   * let the worker choose by measurement. A fresh worker loads it; frames stop meanwhile.
   */
  switchModel(model: ModelName | undefined): Promise<void> {
    this.clock.clearTimeout(this.retryTimer);
    this.store.set({ model: model ?? 'standard', forcedModel: model, modelError: null, error: null, frame: undefined });
    this.hooks.stopFrames();
    this.client.restart();
    return this.start();
  }

  /** Keeps a measured choice for this device, so the next start (or a restarted worker) skips measuring. */
  private rememberChoice(choice: StartChoice & { model: ModelId }): void {
    const { backend, model, budget, reason, timings } = choice;
    const text = JSON.stringify({ version: CHOICE_VERSION, backend, model, budget, reason, timings } satisfies RememberedChoice);
    this.measured[choice.deviceKey] = text;
    try {
      this.hooks.remember?.(choice.deviceKey, text);
    } catch (err) {
      this.log.info(`ConvLens: the backend choice could not be stored (${String(err)}); it is measured again next time`);
    }
  }

  /** "Try again" on the error screen (or the kiosk's own retry): a fresh worker loads the model, no page reload. */
  readonly retry = (): void => {
    this.clock.clearTimeout(this.retryTimer);
    this.crashTimes = [];
    this.store.set({ modelError: null, error: null });
    this.hooks.stopFrames();
    this.client.restart();
    void this.start();
  };

  /** The error screen instead of the live view; the operator's detail also goes to the console. */
  private fail(heading: string, message: string): void {
    this.log.error(`ConvLens: ${heading}: ${message}`);
    this.store.set({ modelError: { heading, message }, ready: false, status: `${heading}: ${message}`, visitorStatus: '' });
    this.clock.clearTimeout(this.retryTimer);
    // Nobody presses "Try again" on an unattended kiosk: it tries again by itself.
    if (this.store.state.kiosk) this.retryTimer = this.clock.setTimeout(this.retry, this.store.state.retrySeconds * 1000);
  }

  private crashed(message: string): void {
    this.hooks.stopFrames(); // no frames to the new worker before it is ready
    const now = this.clock.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < 60_000), now];
    this.store.update((s) => ({ workerRestarts: s.workerRestarts + 1, ready: false }));
    this.client.restart();
    if (this.crashTimes.length > MAX_CRASHES_PER_MINUTE) {
      this.fail('The analysis keeps stopping', `The inference worker stopped ${this.crashTimes.length} times within a minute (last: ${message}).`);
      return;
    }
    this.log.error(`ConvLens: the inference worker stopped (${message}); restarting it`);
    this.store.set({ error: `The inference worker stopped (${message}); restarting it.` });
    void this.start();
  }

  private news(news: WorkerStatus): void {
    this.store.set({ recoveries: news.recoveries, ...(news.backend ? { backend: news.backend } : {}) });
    if (news.event === 'device-lost') {
      this.log.info(`ConvLens: graphics device lost (${news.message}); recovering`);
      this.store.set({ status: 'The graphics device was lost; recovering…', visitorStatus: 'One moment, please…' });
    } else if (news.event === 'recovered') {
      this.log.info(`ConvLens: ${news.message}`);
      this.store.set({ status: news.message, visitorStatus: '' });
    } else {
      this.fail('The graphics device could not be recovered', news.message);
    }
  }
}

/**
 * The layer the activation grid starts on: MobileNet's default where the model has it, else the layer a third of
 * the way through those the layer picker offers (gridLayers: rectifier outputs where the model names them so).
 */
export function defaultLayer(layers: readonly LayerInfo[]): string {
  if (layers.some((l) => l.name === DEFAULT_LIVE_SETTINGS.layer)) return DEFAULT_LIVE_SETTINGS.layer;
  const offered = gridLayers(layers);
  return offered[Math.floor(offered.length / 3)]?.name ?? DEFAULT_LIVE_SETTINGS.layer;
}

/**
 * The WASM forward engine in a few words for the status line, e.g. "WASM (SIMD, 4 threads)"; "1 thread, not
 * cross-origin isolated" says why threads are missing.
 */
export function forwardLabel(engine: ForwardEngine): string {
  const parts = [engine.simd ? 'SIMD' : 'no SIMD', `${engine.threads} thread${engine.threads === 1 ? '' : 's'}`];
  if (!engine.isolated) parts.push('not cross-origin isolated');
  return `WASM (${parts.join(', ')})`;
}
