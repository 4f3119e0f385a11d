import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { backgroundCheck } from '../../core/bias';
import type { LiveView } from '../../core/live/settings';
import { TEACH_LIMITS } from '../../core/teach-classes';
import type { TeachStateReply } from '../../../workers/protocol';
import { type AppState, type TeachState, initialTeachState, withLabels } from '../app-state';
import type { Store } from '../store';
import type { InferenceClient } from '../worker-client';

/** What Teach mode needs from the page (tests pass fakes). */
export interface TeachDeps {
  /** The current frame as the model sees it, like a job's frame (the bitmap is transferred to the worker). */
  grab(): Promise<{ bitmap: ImageBitmap } | undefined>;
  /** A small picture of the frame (an object URL) for its class's button; the bitmap stays the caller's. */
  thumbnail(bitmap: ImageBitmap): Promise<string>;
  /** Releases a picture made by `thumbnail`. */
  release(url: string): void;
  /** Starts the training job (the job registry's 'teach' kind, through the job controller). */
  train(): void;
  /** Cancels the training job when one runs. */
  cancelTraining(): void;
  /** Waits between captures while a button is held (tests pass a fake clock). */
  sleep?(ms: number): Promise<void>;
}

/** Time between two captures while a class's button is held, ms (about 8 examples a second at most). */
export const TEACH_CAPTURE_INTERVAL_MS = 120;
/** The live views whose map the bias lesson measures (the ones that explain a class). */
export const BIAS_VIEWS: readonly LiveView[] = ['saliency', 'gradcam', 'occlusion'];
/** Frames of a taught network's map seen before the bias lesson speaks (it speaks of an average, not one frame). */
export const BIAS_MIN_FRAMES = 5;
/** Weight of the newest frame in the running average of the map's share in the middle. */
const BIAS_SMOOTHING = 0.2;

/**
 * Teach mode (issue 12), the page's half: the visitor's class names, capturing frames as examples while a class's
 * button is held (the worker keeps their features), training through the job controller, forgetting (and the kiosk's
 * idle reset), and the bias lesson — a running measure of how much of the live explanation of the taught classifier
 * lies in the middle of the picture, where the visitor holds the object (src/core/bias.ts). Writes `teach` (and the
 * labels when the worker's classes change); the worker's state wins whenever it answers.
 */
export class TeachController implements ReactiveController {
  private unsubscribe: (() => void) | undefined;
  /** Running average of the map's share in the middle, and how many frames it has seen. */
  private share = 0;
  private seen = 0;
  /** The view the average is of (another view's map starts it again). */
  private view: LiveView | undefined;
  /** Counts forgets, class removals and model changes: a capture answered across one is not shown. */
  private generation = 0;
  /** Identifies the current hold (a quick release and press starts a new one; the old loop then ends). */
  private holdToken = 0;

  constructor(
    host: ReactiveControllerHost,
    private readonly store: Store<AppState>,
    private readonly client: InferenceClient,
    private readonly deps: TeachDeps,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.unsubscribe = this.store.subscribe((state, changed) => {
      // Another model, or the worker restarted: the examples were the old worker's, and are gone.
      if (changed.has('ready') && !state.ready) this.dropExamples(state.teach.counts.some((n) => n > 0) ? 'The model changed: capture your examples again.' : null);
      if (changed.has('frame')) this.measureBias();
    });
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.stopHold();
  }

  private get teach(): TeachState {
    return this.store.state.teach;
  }

  private setTeach(changes: Partial<TeachState>): void {
    this.store.update((s) => ({ teach: { ...s.teach, ...changes } }));
  }

  /** Whether a frame may be captured now (the model is ready and the class exists). */
  canCapture(classIndex: number): boolean {
    const s = this.store.state;
    return s.ready && s.teachOffered && classIndex >= 0 && classIndex < s.teach.classes.length;
  }

  /**
   * Captures the current frame as an example of class `classIndex`: the worker computes and keeps its features and
   * answers the counts. Resolves true when the example was kept; a refusal is one line in `teach.notice`.
   */
  async capture(classIndex: number): Promise<boolean> {
    if (!this.canCapture(classIndex)) return false;
    const grabbed = await this.deps.grab();
    if (!grabbed) return false;
    const generation = this.generation;
    const thumbnail = await this.deps.thumbnail(grabbed.bitmap);
    const reply = await this.client.send('teach-example', { classIndex, image: grabbed.bitmap }, { transfer: [grabbed.bitmap] }).reply;
    if (generation !== this.generation) {
      // Forgotten, a class removed or another model meanwhile: the worker dropped this frame too.
      this.deps.release(thumbnail);
      return false;
    }
    if (reply.type === 'error') {
      this.deps.release(thumbnail);
      this.setTeach({ notice: { kind: 'error', text: reply.message } });
      return false;
    }
    const thumbnails = [...this.teach.thumbnails];
    const old = thumbnails[classIndex];
    if (old) this.deps.release(old);
    thumbnails[classIndex] = thumbnail;
    this.setTeach({ ...this.fromWorker(reply), thumbnails, changed: true, notice: null });
    return true;
  }

  /**
   * Holding a class's button: captures frames as its examples, one every TEACH_CAPTURE_INTERVAL_MS, until released
   * (`on` false), the class is full, or a capture is refused.
   */
  async hold(classIndex: number, on: boolean): Promise<void> {
    if (!on) return this.stopHold();
    if (this.teach.capturing >= 0 || !this.canCapture(classIndex)) return;
    const token = ++this.holdToken;
    this.setTeach({ capturing: classIndex });
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    try {
      while (this.holdToken === token && this.teach.capturing === classIndex) {
        if ((this.teach.counts[classIndex] ?? 0) >= TEACH_LIMITS.maxExamplesPerClass) {
          this.setTeach({ notice: { kind: 'error', text: `${this.teach.classes[classIndex]} has ${TEACH_LIMITS.maxExamplesPerClass} examples, the most it keeps` } });
          break;
        }
        if (!(await this.capture(classIndex))) break;
        await sleep(TEACH_CAPTURE_INTERVAL_MS);
      }
    } finally {
      if (this.holdToken === token && this.teach.capturing === classIndex) this.setTeach({ capturing: -1 });
    }
  }

  private stopHold(): void {
    this.holdToken++;
    if (this.teach.capturing >= 0) this.setTeach({ capturing: -1 });
  }

  /** Names class `classIndex` (checked when training starts: src/core/teach-classes.ts checkClassNames). */
  rename(classIndex: number, name: string): void {
    if (classIndex < 0 || classIndex >= this.teach.classes.length) return;
    const classes = this.teach.classes.map((c, i) => (i === classIndex ? name : c));
    this.setTeach({ classes, changed: this.teach.taught || this.teach.changed });
  }

  /** Adds a class (up to TEACH_LIMITS.maxClasses), named "Class N". */
  addClass(): void {
    const t = this.teach;
    if (t.classes.length >= TEACH_LIMITS.maxClasses) return;
    let n = t.classes.length + 1;
    while (t.classes.some((c) => c.toLowerCase() === `class ${n}`)) n++;
    this.setTeach({ classes: [...t.classes, `Class ${n}`], counts: [...t.counts, 0], thumbnails: [...t.thumbnails, undefined], changed: t.taught || t.changed });
  }

  /** Removes class `classIndex` and its examples (down to TEACH_LIMITS.minClasses classes). */
  async removeClass(classIndex: number): Promise<void> {
    const t = this.teach;
    if (t.classes.length <= TEACH_LIMITS.minClasses || classIndex < 0 || classIndex >= t.classes.length || t.capturing >= 0) return;
    this.generation++;
    const reply = await this.client.send('teach-forget', { classIndex, remove: true }).reply;
    if (reply.type === 'error') return this.setTeach({ notice: { kind: 'error', text: reply.message } });
    const now = this.teach;
    const gone = now.thumbnails[classIndex];
    if (gone) this.deps.release(gone);
    const classes = now.classes.filter((_, i) => i !== classIndex);
    this.setTeach({ ...this.fromWorker(reply, classes.length), classes, thumbnails: now.thumbnails.filter((_, i) => i !== classIndex), changed: true });
  }

  /** Trains the visitor's classifier (a job: progress on the stage, cancellable). */
  train(): void {
    this.stopHold();
    this.deps.train();
  }

  /** Forgets every example and the taught classifier: the model's own classes again. */
  async forget(): Promise<void> {
    this.stopHold();
    this.deps.cancelTraining();
    this.generation++;
    const reply = await this.client.send('teach-forget', {}).reply;
    if (reply.type === 'error') return this.setTeach({ notice: { kind: 'error', text: reply.message } });
    this.releaseThumbnails();
    const t = this.teach;
    this.store.update((s) => ({
      ...withLabels(s, reply.labels),
      teach: { ...t, counts: t.classes.map(() => 0), thumbnails: t.classes.map(() => undefined), taught: false, changed: false, bias: null, notice: { kind: 'ok', text: 'Forgotten: the network shows its own classes again.' } },
    }));
    this.seen = 0;
  }

  /** The kiosk's idle reset: the visitor's classes, examples and classifier are forgotten, the names back to the start. */
  async reset(): Promise<void> {
    await this.forget();
    this.store.set({ teach: initialTeachState() });
  }

  /** Counts (for `classes` classes) and taught flag from the worker's answer. */
  private fromWorker(reply: TeachStateReply, classes = this.teach.classes.length): Pick<TeachState, 'counts' | 'taught'> {
    return { counts: reply.counts.slice(0, classes), taught: reply.taught };
  }

  private releaseThumbnails(): void {
    for (const url of this.teach.thumbnails) if (url) this.deps.release(url);
  }

  /** The worker forgot the examples (another model, a restart): the page forgets them too. */
  private dropExamples(notice: string | null): void {
    this.stopHold();
    this.generation++;
    this.releaseThumbnails();
    const t = this.teach;
    this.seen = 0;
    this.setTeach({ counts: t.classes.map(() => 0), thumbnails: t.classes.map(() => undefined), taught: false, changed: false, bias: null, notice: notice ? { kind: 'error', text: notice } : t.notice });
  }

  /**
   * The bias lesson, measured on each frame of a taught network's map: the share of the map's mass in the centred
   * half of the picture (backgroundCheck), averaged over frames; spoken after BIAS_MIN_FRAMES frames. An occlusion
   * map counts once its sweep is complete.
   */
  private measureBias(): void {
    const s = this.store.state;
    const frame = s.frame;
    const view = s.frameSettings?.view;
    const map = frame?.heatmap;
    const usable = s.teach.taught && map && view && BIAS_VIEWS.includes(view) && (frame.occlusionProgress === undefined || frame.occlusionProgress >= 1);
    if (!usable) {
      if (!s.teach.taught || (view && !BIAS_VIEWS.includes(view))) {
        this.seen = 0;
        if (s.teach.bias) this.setTeach({ bias: null });
      }
      return;
    }
    if (view !== this.view) {
      this.view = view;
      this.seen = 0;
    }
    let check;
    try {
      check = backgroundCheck(map.data, map.width, map.height);
    } catch {
      return; // a map with a missing value: not one to judge by
    }
    this.share = this.seen === 0 ? check.objectShare : this.share + BIAS_SMOOTHING * (check.objectShare - this.share);
    this.seen++;
    if (this.seen < BIAS_MIN_FRAMES) return;
    const looksAtBackground = this.share < check.flatShare;
    const shown = s.teach.bias;
    // Re-render only for a visible change (the share is shown in whole per cent).
    if (shown && shown.looksAtBackground === looksAtBackground && Math.abs(shown.objectShare - this.share) < 0.005) return;
    this.setTeach({ bias: { ...check, objectShare: this.share, looksAtBackground } });
  }
}
