import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { InputSpec } from '../../core/graph';
import type { ModelName } from '../../core/models';
import { type DroppedFile, type OwnModelInfo, checkModelFiles } from '../../core/own-model';
import { formatBytes } from '../../core/gallery/validate';
import type { AppState } from '../app-state';
import type { Store } from '../store';
import type { InferenceClient } from '../worker-client';

/** Where own models are kept and how the page remembers the model in use (the browser: IndexedDB, the URL). */
export interface OwnModelEnv {
  /** The stored models (workers/own-model-store.ts listOwnModels). */
  list(): Promise<OwnModelInfo[]>;
  /** Removes a stored model. */
  remove(name: string): Promise<void>;
  /** Keeps the model in use across reloads: `?model=NAME` in the address (undefined: no ?model=). */
  remember(model: ModelName | undefined): void;
}

/**
 * "Use your own model": a model's files checked in the page (src/core/own-model.ts: one line per problem, nothing
 * stored), compiled and stored by the inference worker (an unsupported layer is one line too), then run in place of
 * the bundled model; the list of stored models, the switch between them and the bundled ones, and removal. Writes
 * `ownModels` and `ownModelNotice`; the model switch itself is the supervisor's.
 */
export class OwnModels implements ReactiveController {
  constructor(
    host: ReactiveControllerHost,
    private readonly store: Store<AppState>,
    private readonly client: InferenceClient,
    private readonly supervisor: { switchModel(model: ModelName | undefined): Promise<void> },
    private readonly env: OwnModelEnv,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    void this.refresh();
  }

  /** Re-reads the stored models' list. */
  async refresh(): Promise<void> {
    try {
      this.store.set({ ownModels: await this.env.list() });
    } catch (err) {
      this.store.set({ ownModelNotice: { kind: 'error', text: `The stored models could not be read: ${messageOf(err)}` } });
    }
  }

  /**
   * Checks `files` (model.json, its weight files, optionally metadata.json), has the worker compile and store
   * them, and runs the model. Resolves to the stored model's info, or undefined after a one-line notice.
   */
  async add(files: readonly DroppedFile[], options: { name?: string; input?: InputSpec } = {}): Promise<OwnModelInfo | undefined> {
    this.store.set({ ownModelNotice: { kind: 'busy', text: `Checking ${files.map((f) => f.name).join(', ')}…` } });
    let upload;
    try {
      upload = checkModelFiles(files, options);
    } catch (err) {
      this.store.set({ ownModelNotice: { kind: 'error', text: messageOf(err) } });
      return undefined;
    }
    this.store.set({ ownModelNotice: { kind: 'busy', text: `Compiling ${upload.name}…` } });
    const reply = await this.client.send('own-model', { upload }, { transfer: [upload.weightData] }).reply;
    if (reply.type === 'error') {
      this.store.set({ ownModelNotice: { kind: 'error', text: reply.message } });
      return undefined;
    }
    const info = reply.info;
    await this.refresh();
    const labels = info.labels.slice(0, 3).join(', ') + (info.labels.length > 3 ? ', …' : '');
    this.store.set({ ownModelNotice: { kind: 'ok', text: `Stored ${info.name}: ${info.numClasses} classes (${labels}), ${info.inputSize}×${info.inputSize} input, ${formatBytes(info.bytes)}.` } });
    await this.use(info.name);
    return info;
  }

  /**
   * Before the first load: an own model asked for by name (`?model=NAME`, the kiosk file's `ownModel`) runs when it
   * is stored here; otherwise a one-line notice (and, in a kiosk, a kiosk problem) says so, the address forgets it,
   * and the bundled model chosen for the device runs.
   */
  async resolveAsked(): Promise<void> {
    const asked = this.store.state.askedModel;
    if (!asked) return;
    await this.refresh();
    if (this.store.state.ownModels.some((m) => m.name === asked)) {
      this.store.set({ model: asked, forcedModel: asked, askedModel: undefined });
      return;
    }
    const text = `no model named "${asked}" is stored in this browser; the bundled model runs instead`;
    this.store.update((s) => ({ askedModel: undefined, ownModelNotice: { kind: 'error', text }, kioskProblems: s.kiosk ? [...s.kioskProblems, text] : s.kioskProblems }));
    if (!this.store.state.kiosk) this.env.remember(undefined);
  }

  /** Runs `model` (a bundled id, a stored model's name, or undefined: the measured choice) and remembers it. */
  async use(model: ModelName | undefined): Promise<void> {
    if (model === this.store.state.forcedModel && this.store.state.ready) return;
    this.env.remember(model);
    await this.supervisor.switchModel(model);
  }

  /** Removes a stored model; the one in use gives way to the bundled model chosen by measurement. */
  async remove(name: string): Promise<void> {
    try {
      await this.env.remove(name);
    } catch (err) {
      this.store.set({ ownModelNotice: { kind: 'error', text: `${name} could not be removed (${messageOf(err)})` } });
      return;
    }
    await this.refresh();
    this.store.set({ ownModelNotice: { kind: 'ok', text: `Removed ${name} from this browser.` } });
    if (this.store.state.model === name || this.store.state.forcedModel === name) await this.use(undefined);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
