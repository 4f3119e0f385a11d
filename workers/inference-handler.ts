import * as tf from '@tensorflow/tfjs';
import type { FeatureCache } from '../src/core/gallery/feature-cache';
import { FeatureExtractor } from '../src/core/gallery/features';
import { type GalleryEntry, entryFromImage, uniqueEntries } from '../src/core/gallery/gallery';
import { kernelTiles, rgbFilterTiles } from '../src/core/filters';
import { DEFAULT_LIVE_SETTINGS, LivePipeline } from '../src/core/live/pipeline';
import type { ModelId } from '../src/core/models';
import type { ConvNet } from '../src/core/network';
import type { RgbaImage } from '../src/core/preprocess';
import type { BackendName, FrameImage, JobSpec, Simulation, WorkerMemory, WorkerRequest, WorkerResponse } from './protocol';
import { transferables } from './protocol';
import { LatestWins } from './scheduler';
import { workerBench } from './bench';
import { runJob as runJobOf } from './jobs';
import { EtaEstimator } from '../src/core/eta';

/** What differs between the real worker (browser) and tests (Node): backends, model loading, pixels, posting. */
export interface HandlerEnvironment {
  chooseBackend(forced: BackendName | undefined): Promise<BackendName>;
  loadNet(model: ModelId, modelsUrl: string): Promise<ConvNet>;
  toPixels(image: FrameImage): tf.Tensor3D;
  toRgba(image: FrameImage): RgbaImage;
  /** The bundled gallery (read once, lazily). */
  loadGallery(galleryUrl: string | undefined): Promise<GalleryEntry[]>;
  featureCache: FeatureCache;
  /**
   * Browser: the pictures kept in IndexedDB (imports and visitors' snapshots, workers/gallery-store.ts), read
   * afresh for every gallery job. Without it (Node tests) snapshots live in memory for the session.
   */
  storedGallery?: { entries(): Promise<GalleryEntry[]>; addSnapshot(name: string, image: RgbaImage): Promise<string> };
  closeImage(image: FrameImage): void;
  post(message: WorkerResponse, transfer: Transferable[]): void;
  /** Browser, WebGPU: calls `lost` once when the chosen backend's device goes away unexpectedly. */
  watchBackend?(backend: BackendName, lost: (reason: string) => void): void;
  /** After a loss: a fresh device for `lost` (else a fallback backend); resolves to the backend now in use. */
  recreateBackend?(lost: BackendName): Promise<BackendName>;
  /** Test/operator hook (see protocol `simulate`). */
  simulate?(what: Simulation): void;
}

/** tf.memory() as the worker reports it. */
export function workerMemory(): WorkerMemory {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return { numTensors: m.numTensors, numBytes: m.numBytes, ...(m.numBytesInGPU !== undefined ? { numBytesInGPU: m.numBytesInGPU } : {}) };
}

type FrameRequest = Extract<WorkerRequest, { type: 'frame' }>;

/**
 * The inference worker's logic, DOM-free: owns TensorFlow.js, the model and the live pipeline; answers each
 * request. Frames go through a latest-wins slot (a frame that waits is replaced by a newer one and answered
 * 'dropped'); jobs run concurrently with frames — they await between batches, so frames interleave — and can
 * be cancelled.
 */
export function createInferenceHandler(env: HandlerEnvironment): (request: WorkerRequest) => Promise<void> {
  let net: ConvNet | undefined;
  let pipeline: LivePipeline | undefined;
  const jobs = new Map<number, AbortController>();
  const post = (message: WorkerResponse): void => env.post(message, transferables(message));

  const frames = new LatestWins<FrameRequest>(
    async (request) => {
      try {
        // While the backend is being recreated the frame waits (latest wins: nothing queues up behind it).
        if (recovering) await recovering;
        const t0 = performance.now();
        let pixels: tf.Tensor3D;
        try {
          if (!pipeline) throw new Error('the model is not loaded yet');
          pixels = env.toPixels(request.image);
        } finally {
          env.closeImage(request.image);
        }
        let frame;
        try {
          frame = await pipeline!.process(pixels, request.settings, request.settings.perturb ? perturbation : undefined);
        } finally {
          pixels.dispose();
        }
        post({ type: 'frame', id: request.id, frame, ms: performance.now() - t0, memory: workerMemory() });
      } catch (err) {
        post({ type: 'error', id: request.id, message: messageOf(err) });
      }
    },
    (request) => {
      env.closeImage(request.image);
      post({ type: 'dropped', id: request.id });
    },
  );

  async function init(request: Extract<WorkerRequest, { type: 'init' }>): Promise<void> {
    const t0 = performance.now();
    const backend = await env.chooseBackend(request.backend);
    pipeline?.dispose();
    net?.dispose();
    extractor = undefined;
    galleryUrl = request.galleryUrl;
    net = await env.loadNet(request.model, request.modelsUrl);
    pipeline = new LivePipeline(net);
    loaded = { model: request.model, modelsUrl: request.modelsUrl, backend };
    const loadMs = performance.now() - t0;
    const t1 = performance.now();
    await warmUp(pipeline, net);
    env.watchBackend?.(backend, (reason) => void recover(reason));
    post({ type: 'ready', id: request.id, backend, model: request.model, loadMs, warmupMs: performance.now() - t1, layers: net.spatialLayers() });
  }

  /** Warms the kernels (WebGPU compiles shaders on first use) behind the loading screen, not on a visitor's frame. */
  async function warmUp(p: LivePipeline, n: ConvNet): Promise<void> {
    const grey = tf.fill([n.inputSize, n.inputSize, 3], 128) as tf.Tensor3D;
    try {
      for (const view of ['activations', 'saliency'] as const) await p.process(grey, { ...DEFAULT_LIVE_SETTINGS, view });
    } finally {
      grey.dispose();
    }
  }

  /** What init loaded, to rebuild it after a lost device. */
  let loaded: { model: ModelId; modelsUrl: string; backend: BackendName } | undefined;
  let recovering: Promise<void> | undefined;
  let recoveries = 0;

  /**
   * The backend's device was lost: drop everything that lived on it, bring a backend up again (a new WebGPU
   * device, else a fallback), rebuild the model from the verified bytes the environment kept, warm up, and tell
   * the page. Frames wait meanwhile; jobs that were running fail with the loss.
   */
  async function recover(reason: string): Promise<void> {
    if (recovering || !loaded || !env.recreateBackend) return;
    const t0 = performance.now();
    const was = loaded;
    post({ type: 'status', id: 0, event: 'device-lost', backend: was.backend, message: reason, recoveries });
    recovering = (async () => {
      try {
        for (const job of jobs.values()) job.abort();
        pipeline?.dispose();
        net?.dispose();
        perturbation?.dispose();
        [pipeline, net, extractor, perturbation] = [undefined, undefined, undefined, undefined];
        const backend = await env.recreateBackend!(was.backend);
        const fresh = await env.loadNet(was.model, was.modelsUrl);
        net = fresh;
        pipeline = new LivePipeline(fresh);
        await warmUp(pipeline, fresh);
        loaded = { ...was, backend };
        recoveries++;
        env.watchBackend?.(backend, (r) => void recover(r));
        const ms = performance.now() - t0;
        const how = backend === was.backend ? `recreated the ${backend} backend` : `fell back from ${was.backend} to ${backend}`;
        post({ type: 'status', id: 0, event: 'recovered', backend, message: `The graphics device was lost (${reason}); ${how} in ${Math.round(ms)} ms.`, recoveries, ms });
      } catch (err) {
        post({ type: 'status', id: 0, event: 'recovery-failed', backend: null, message: `The graphics device was lost and could not be recovered: ${messageOf(err)}`, recoveries });
      }
    })();
    try {
      await recovering;
    } finally {
      recovering = undefined;
    }
  }

  let galleryUrl: string | undefined;
  let bundled: Promise<GalleryEntry[]> | undefined;
  const snapshots: GalleryEntry[] = [];
  let extractor: FeatureExtractor | undefined;
  /** The latest universal perturbation, added to live frames while `settings.perturb` is on. */
  let perturbation: tf.Tensor4D | undefined;

  async function runJob(id: number, job: JobSpec): Promise<void> {
    if (!net) throw new Error('the model is not loaded yet');
    const controller = new AbortController();
    jobs.set(id, controller);
    // Each progress report carries the time left, estimated from the time per unit of work so far.
    const eta = new EtaEstimator(performance.now());
    try {
      const result = await runJobOf(
        {
          net,
          extractor: (extractor ??= new FeatureExtractor(net, { cache: env.featureCache })),
          gallery: async () => uniqueEntries([...(await (bundled ??= env.loadGallery(galleryUrl))), ...(env.storedGallery ? await env.storedGallery.entries() : snapshots)]),
          addToGallery: async (name, image) => {
            if (env.storedGallery) return env.storedGallery.addSnapshot(name, image);
            const entry = await entryFromImage(name, image);
            if (!snapshots.some((s) => s.id === entry.id)) snapshots.push(entry);
            return entry.id;
          },
          toRgba: (image) => {
            try {
              return env.toRgba(image);
            } finally {
              env.closeImage(image);
            }
          },
        },
        job,
        {
          signal: controller.signal,
          onProgress: (done, total, preview) => {
            if (controller.signal.aborted) return; // a late report of a cancelled job (e.g. a preview being read back)
            const estimate = eta.update(done, total, performance.now());
            post({ type: 'progress', id, ...estimate, ...(preview ? { preview } : {}) });
          },
          setPerturbation: (v) => {
            perturbation?.dispose();
            perturbation = v;
          },
        },
      );
      post({ type: 'done', id, result });
    } catch (err) {
      if (controller.signal.aborted) post({ type: 'cancelled', id });
      else throw err;
    } finally {
      jobs.delete(id);
    }
  }

  return async (request) => {
    try {
      switch (request.type) {
        case 'init':
          await init(request);
          break;
        case 'frame':
          frames.offer(request);
          break;
        case 'filters': {
          if (!net) throw new Error('the model is not loaded yet');
          const layer = request.layer ?? net.convLayers()[0]!;
          const image = layer === net.convLayers()[0] ? await rgbFilterTiles(net, layer) : await kernelTiles(net, layer);
          post({ type: 'image', id: request.id, image });
          break;
        }
        case 'job':
          await runJob(request.id, request.job);
          break;
        case 'cancel':
          jobs.get(request.job)?.abort();
          post({ type: 'ok', id: request.id }); // every request gets its reply (ReplyMap), so no waiter is left behind
          break;
        case 'bench':
          if (!net) throw new Error('the model is not loaded yet');
          post({ type: 'bench', id: request.id, figures: await workerBench(net) });
          break;
        case 'memory':
          post({ type: 'memory', id: request.id, memory: workerMemory() });
          break;
        case 'simulate':
          if (!env.simulate) throw new Error(`cannot simulate ${request.what} here`);
          env.simulate(request.what);
          post({ type: 'ok', id: request.id });
          break;
      }
    } catch (err) {
      post({ type: 'error', id: request.id, message: messageOf(err) });
    }
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
