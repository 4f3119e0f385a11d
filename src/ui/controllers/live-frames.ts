import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { LatestWins } from '../../../workers/scheduler';
import type { AppState } from '../app-state';
import { FpsMeter } from '../fps';
import type { Store } from '../store';
import type { InferenceClient } from '../worker-client';
import type { Grabbed } from './source-controller';

/**
 * The live view's frame loop: every animation frame it offers a frame; the latest-wins slot drops offers while
 * the worker is busy, so latency stays at one frame of work. Each reply becomes the frame on screen with the
 * settings it was computed with (so views can tell a stale overlay), unless the source changed meanwhile.
 */
export class LiveFrames implements ReactiveController {
  private running = false;
  /** Counts stop() calls: a reply to a frame sent before the latest stop belongs to a worker that was replaced. */
  private stops = 0;
  /** A chain of `loop` calls is alive (so a restart does not start a second one). */
  private looping = false;
  /** Offers are held (in-worker benchmarks must not interleave with frames). */
  paused = false;
  private readonly scheduler = new LatestWins<number>(() => this.processFrame());
  private readonly fps = new FpsMeter();

  constructor(
    host: ReactiveControllerHost,
    private readonly store: Store<AppState>,
    private readonly client: InferenceClient,
    private readonly grab: () => Promise<Grabbed | undefined>,
    private readonly nextTick: (callback: () => void) => void = (callback) => requestAnimationFrame(callback),
    private readonly now: () => number = () => performance.now(),
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.stop();
  }

  start(): void {
    this.running = true;
    if (!this.looping) this.loop();
  }

  /** No more frames to the worker (it crashed, or is being replaced). */
  stop(): void {
    this.running = false;
    this.stops++;
  }

  private readonly loop = (): void => {
    this.looping = this.running;
    if (!this.running) return;
    if (!this.paused) this.scheduler.offer(this.now());
    this.nextTick(this.loop);
  };

  /** One frame: grab, send, and show the reply. */
  async processFrame(): Promise<void> {
    const generation = this.store.state.sourceGeneration;
    const grabbed = await this.grab();
    if (!grabbed) return;
    const settings = this.store.state.settings;
    const t0 = this.now();
    const stops = this.stops;
    const { reply } = this.client.send('frame', { image: grabbed.bitmap, settings }, { transfer: [grabbed.bitmap] });
    const result = await reply;
    if (result.type === 'error') {
      // Stopped meanwhile (the worker replaced for another model, or crashed): not this picture's error to show.
      if (stops === this.stops) this.store.set({ error: result.message });
      return;
    }
    if (result.type === 'dropped') return;
    // Grabbed from the previous source (a sample picture while the camera came back…): not this picture's frame.
    if (generation !== this.store.state.sourceGeneration) return;
    const now = this.now();
    const error = this.store.state.error;
    this.store.update((s) => ({
      frame: result.frame,
      frameSettings: settings,
      frameGeneration: generation,
      crop: grabbed.crop,
      pictureSize: { width: grabbed.width, height: grabbed.height },
      workerMemory: result.memory,
      frames: s.frames + 1,
      lastFrameMs: now - t0,
      fps: this.fps.tick(now),
      // A frame went through: transient errors are over (the model error screen has its own state).
      error: error && !error.startsWith('The model') ? null : error,
    }));
  }
}
