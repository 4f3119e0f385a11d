import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ReplyTo } from '../../../workers/protocol';
import type { AppState } from '../app-state';
import { type JobKindId, type JobState, jobKind, jobStartable } from '../jobs/job-kinds';
import type { Store } from '../store';
import type { InferenceClient } from '../worker-client';

/** What the job controller needs from the page (tests pass fakes). */
export interface JobDeps {
  /** The current frame as the model sees it (224×224), for modes that work on it. */
  grab(): Promise<{ bitmap: ImageBitmap } | undefined>;
  /** A copy of the frame that stays on the page (the original is transferred to the worker). */
  copy(bitmap: ImageBitmap): Promise<ImageBitmap>;
  /** Keeps the job's frame as the thumbnail of the stored picture `id` (a visitor's snapshot). */
  rememberSnapshot(id: string, frame: ImageBitmap): void;
  now?(): number;
}

/**
 * Every on-demand mode through one path (the modes are entries of src/ui/jobs/job-kinds.ts): start (grab the
 * frame if the mode needs it, build its spec, send it), progress (with the image so far for generating modes),
 * cancel, result, and what the result changes in the app. One job at a time; the live view keeps running.
 */
export class JobController implements ReactiveController {
  private starting = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly store: Store<AppState>,
    private readonly client: InferenceClient,
    private readonly deps: JobDeps,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.cancel();
  }

  private now(): number {
    return this.deps.now?.() ?? performance.now();
  }

  /** Can `kind` start now: the model is ready, the tools are offered, no job runs, and the mode's own condition. */
  canStart(kind: JobKindId, state: Readonly<AppState> = this.store.state): boolean {
    return !this.starting && jobStartable(kind, state);
  }

  async start(id: JobKindId): Promise<void> {
    if (!this.canStart(id)) return;
    this.starting = true;
    let sent: { requestId: number; reply: Promise<ReplyTo<'job'>>; frozen: ImageBitmap | undefined } | undefined;
    try {
      sent = await this.launch(id);
    } finally {
      this.starting = false;
    }
    if (!sent) return;
    const { requestId, reply, frozen } = sent;
    const kind = jobKind(id);
    const result = await reply;
    const job = this.store.state.job;
    // Cancelled on the page already (Cancel shows at once): the worker's late reply, even a result, is dropped.
    if (job?.id !== requestId || job.state !== 'running') return;
    const endedAt = this.now();
    if (result.type === 'done') {
      const state = this.store.state;
      const changes = kind.done?.(result.result, state, (storedId) => frozen && this.deps.rememberSnapshot(storedId, frozen)) ?? {};
      this.store.set({
        job: { ...job, state: 'done', progress: 1, result: result.result, endedAt },
        // A map shows the live frame as a moving dot: the worker then sends each frame's features too.
        settings: { ...state.settings, features: kind.liveFeatures === true },
        ...changes,
      });
    } else if (result.type === 'cancelled') {
      this.store.set({ job: { ...job, state: 'cancelled', endedAt } });
    } else {
      this.store.set({ job: { ...job, state: 'error', error: result.message, endedAt }, error: result.message });
    }
  }

  /** Grabs the frame (if the mode needs it), builds the spec and sends it; the job is then on the stage. */
  private async launch(id: JobKindId): Promise<{ requestId: number; reply: Promise<ReplyTo<'job'>>; frozen: ImageBitmap | undefined } | undefined> {
    const kind = jobKind(id);
    let image: ImageBitmap | undefined;
    let frozen: ImageBitmap | undefined;
    if (kind.needsFrame) {
      const grabbed = await this.deps.grab();
      if (!grabbed) return undefined;
      image = grabbed.bitmap;
      frozen = await this.deps.copy(image);
    }
    const state = this.store.state;
    const spec = kind.spec(state, image);
    if (!spec) {
      image?.close();
      frozen?.close();
      return undefined;
    }
    const { id: requestId, reply } = this.client.send('job', { job: spec }, {
      transfer: image ? [image] : [],
      progress: (done, total, preview, timing) => {
        const job = this.store.state.job;
        if (job?.id !== requestId || job.state !== 'running') return;
        const estimate = timing?.etaSeconds !== undefined ? { etaSeconds: timing.etaSeconds, estimatedAt: this.now() } : {};
        this.store.set({ job: { ...job, progress: total > 0 ? done / total : 0, ...estimate, ...(preview ? { preview } : {}) } });
      },
    });
    this.store.state.job?.frozen?.close(); // the previous job's frame
    const job: JobState = { id: requestId, kind: id, title: kind.title(state), progress: 0, state: 'running', startedAt: this.now(), mirrored: state.mirrored, ...(frozen ? { frozen } : {}) };
    this.store.set({ job, showJob: true, ...kind.started?.(state) });
    return { requestId, reply, frozen };
  }

  /**
   * Cancels the running job: it shows as cancelled at once, and the worker stops it at its next check (within
   * one paced unit of work, or at once while it waits for the GPU); whatever the worker still sends is dropped.
   */
  cancel(): void {
    const job = this.store.state.job;
    if (job?.state !== 'running') return;
    this.client.send('cancel', { job: job.id });
    this.store.set({ job: { ...job, state: 'cancelled', endedAt: this.now() } });
  }

  /** The job's progress and result on the stage, or the live view again. */
  show(on: boolean): void {
    this.store.set({ showJob: on && this.store.state.job !== null });
  }

  /** Forgets the job (a kiosk's idle reset): cancelled if running, its frame released. */
  reset(): void {
    this.cancel();
    this.store.state.job?.frozen?.close();
    this.store.set({ job: null, showJob: false });
  }
}
