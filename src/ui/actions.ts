import type { InputSpec } from '../core/graph';
import type { LiveView, SaliencyKind } from '../core/live/settings';
import type { ModelName } from '../core/models';
import { SALIENCY_KINDS } from '../core/live/settings';
import type { PresetName } from '../core/optimize/presets';
import type { JobDetail } from '../core/attribution/defaults';
import type { RgbaImage } from '../core/preprocess';
import { forgetSnapshots } from '../../workers/gallery-store';
import type { AppState } from './app-state';
import type { AppActions } from './context';
import type { JobController } from './controllers/job-controller';
import type { OwnModels } from './controllers/own-models';
import type { SourceController } from './controllers/source-controller';
import type { TeachController } from './controllers/teach-controller';
import type { WorkerSupervisor } from './controllers/worker-supervisor';
import type { JobKindId } from './jobs/job-kinds';
import type { SnapshotThumbnails } from './jobs/snapshots';
import { gridLayers } from './live-status';
import { appUpdates } from './pwa';
import { type ShortcutAction, jobOfAction } from './shortcuts';
import type { Store } from './store';
import { storedThumbnail } from './stored-gallery';
import type { InferenceClient } from './worker-client';

/** What the actions act on: the store, the worker, the controllers, and the figure export the shell provides. */
export interface ActionParts {
  store: Store<AppState>;
  client: InferenceClient;
  source: SourceController;
  jobs: JobController;
  supervisor: WorkerSupervisor;
  ownModels: OwnModels;
  snapshots: SnapshotThumbnails;
  teach: TeachController;
  /** Downloads the figure on screen as PNG (the shell knows the stage's canvases). */
  exportFigure(): Promise<void>;
}

/**
 * Every user action, whether a button, a tab, a touch or a keyboard shortcut asked for it: the one place that
 * turns intentions into state changes and controller calls.
 */
export class Actions implements AppActions {
  constructor(private readonly parts: ActionParts) {}

  private get store(): Store<AppState> {
    return this.parts.store;
  }

  perform(action: ShortcutAction): void {
    const s = this.store.state;
    const at = s.views.indexOf(s.settings.view);
    const reluLayers = gridLayers(s.layers).map((l) => l.name);
    const layerAt = reluLayers.indexOf(s.settings.layer);
    const channels = s.frame?.activations?.shape[2] ?? 0;
    switch (action) {
      case 'view-1': case 'view-2': case 'view-3': case 'view-4': case 'view-5': {
        const view = s.views[Number(action.slice(5)) - 1];
        if (view) this.setView(view);
        return;
      }
      case 'next-view': return this.setView(s.views[(at + 1) % s.views.length]!);
      case 'previous-view': return this.setView(s.views[(at - 1 + s.views.length) % s.views.length]!);
      case 'freeze': return void (s.frozen ? this.parts.source.unfreeze() : this.parts.source.freeze());
      case 'export': return s.kiosk ? undefined : void this.parts.exportFigure(); // a kiosk offers no downloads
      case 'help': return this.store.set({ helpOpen: !s.helpOpen, aboutOpen: false });
      case 'about': return this.store.set({ aboutOpen: !s.aboutOpen, helpOpen: false });
      case 'close': return this.store.set({ helpOpen: false, aboutOpen: false });
      case 'hud': return this.store.set({ hud: !s.hud });
      case 'next-layer': case 'previous-layer': {
        const next = reluLayers[Math.min(reluLayers.length - 1, Math.max(0, layerAt + (action === 'next-layer' ? 1 : -1)))];
        if (next) this.setLayer(next);
        return;
      }
      case 'next-channel': return channels ? this.setChannel((s.channel + 1) % channels) : undefined;
      case 'previous-channel': return channels ? this.setChannel(s.channel <= 0 ? channels - 1 : s.channel - 1) : undefined;
      case 'saliency-method': return this.setSaliency(SALIENCY_KINDS[(SALIENCY_KINDS.indexOf(s.settings.saliency) + 1) % SALIENCY_KINDS.length]!);
      case 'top-class': return this.setTarget('top');
      case 'camera': return this.useCamera();
      case 'next-picture': return void this.parts.source.nextSample();
      case 'job-cancel': return this.cancelJob();
      default: {
        const job = jobOfAction(action);
        if (job) this.startJob(job);
      }
    }
  }

  /** A live view; choosing one also brings the stage back from a job's result. */
  setView(view: LiveView): void {
    this.store.update((s) => ({ settings: { ...s.settings, view }, showJob: false }));
  }

  setLayer(layer: string): void {
    this.store.update((s) => ({ settings: { ...s.settings, layer }, channel: -1 }));
  }

  setChannel(channel: number): void {
    this.store.set({ channel });
  }

  setSaliency(saliency: SaliencyKind): void {
    this.store.update((s) => ({ settings: { ...s.settings, saliency } }));
  }

  setTarget(target: 'top' | number): void {
    this.store.update((s) => ({ settings: { ...s.settings, target } }));
  }

  setGoal(goal: { index: number; label: string }): void {
    this.store.set({ goal });
  }

  setPreset(preset: PresetName): void {
    this.store.set({ preset });
  }

  /** The lecturer's "more detail" for the on-demand jobs (several times longer), or the quick default. */
  setDetail(detail: JobDetail): void {
    this.store.set({ detail });
  }

  setPerturb(perturb: boolean): void {
    this.store.update((s) => ({ settings: { ...s.settings, perturb } }));
  }

  startJob(kind: JobKindId): void {
    void this.parts.jobs.start(kind);
  }

  cancelJob(): void {
    this.parts.jobs.cancel();
  }

  showJob(on: boolean): void {
    this.parts.jobs.show(on);
  }

  useCamera(): void {
    void this.parts.source.startCamera();
  }

  switchFacing(): void {
    void this.parts.source.switchFacing();
  }

  pickCamera(deviceId: string): void {
    void this.parts.source.pickCamera(deviceId);
  }

  useSample(name: string): void {
    void this.parts.source.useImage(`gallery/${name}`);
  }

  useFile(file: File): void {
    if (this.store.state.kiosk) return; // visitors bring no files to a kiosk
    void this.parts.source.useFile(file);
  }

  retryModel(): void {
    this.parts.supervisor.retry();
  }

  async addOwnModel(files: readonly File[], input: InputSpec): Promise<void> {
    const dropped = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
    await this.parts.ownModels.add(dropped, { input });
  }

  useModel(model: ModelName | undefined): Promise<void> {
    return this.parts.ownModels.use(model);
  }

  removeOwnModel(name: string): Promise<void> {
    return this.parts.ownModels.remove(name);
  }

  async teachCapture(classIndex: number): Promise<void> {
    await this.parts.teach.capture(classIndex);
  }

  teachHold(classIndex: number, on: boolean): void {
    void this.parts.teach.hold(classIndex, on);
  }

  teachRename(classIndex: number, name: string): void {
    this.parts.teach.rename(classIndex, name);
  }

  teachAddClass(): void {
    this.parts.teach.addClass();
  }

  teachRemoveClass(classIndex: number): Promise<void> {
    return this.parts.teach.removeClass(classIndex);
  }

  teachForget(): Promise<void> {
    return this.parts.teach.forget();
  }

  readonly thumbnail = (id: string, name: string): string => storedThumbnail(id) ?? this.parts.snapshots.url(id) ?? `gallery/${name}`;

  async filters(): Promise<RgbaImage | undefined> {
    const cached = this.store.state.filters;
    if (cached) return cached;
    const result = await this.parts.client.send('filters', {}).reply;
    if (result.type === 'error') return undefined;
    this.store.set({ filters: result.image });
    return result.image;
  }

  /** Idle kiosk: back to the start view and the camera; the visitor's snapshots and choices are forgotten. */
  resetVisitor(): void {
    const s = this.store.state;
    this.parts.jobs.reset();
    // The visitor's classes, examples and classifier are theirs alone too.
    if (s.teachOffered) void this.parts.teach.reset();
    this.parts.source.unfreeze();
    this.parts.snapshots.clear();
    this.store.set({
      resets: s.resets + 1,
      helpOpen: false,
      aboutOpen: false,
      hud: false,
      channel: -1,
      goal: { index: 130, label: 'flamingo' },
      settings: { ...s.settings, view: s.views[0]!, layer: s.startLayer, target: 'top', saliency: 'vanilla', perturb: false, features: false },
    });
    if (s.source !== 'camera') void this.parts.source.startCamera();
    // The visitor's snapshots are theirs alone: gone when they leave (imported gallery pictures stay).
    forgetSnapshots().catch((err: unknown) => console.warn('ConvLens: could not forget the snapshots', err));
    // A new version waits for a moment nobody is using the kiosk: now is one.
    if (appUpdates.updateReady) appUpdates.applyUpdate();
  }
}
