import * as tf from '@tensorflow/tfjs';
import type { FeatureCache } from '../src/core/gallery/feature-cache';
import { FeatureExtractor } from '../src/core/gallery/features';
import { type PrecomputedFeatures, PrecomputedFeatureCache } from '../src/core/gallery/precomputed';
import { type GalleryEntry, entryFromImage, uniqueEntries } from '../src/core/gallery/gallery';
import { kernelTiles, rgbFilterTiles } from '../src/core/filters';
import { DEFAULT_LIVE_SETTINGS, LivePipeline } from '../src/core/live/pipeline';
import { type ModelName, isModelId } from '../src/core/models';
import type { OwnModelInfo, OwnModelUpload } from '../src/core/own-model';
import type { ConvNet } from '../src/core/network';
import { type RgbaImage, imageToModelInput } from '../src/core/preprocess';
import { InvalidInputError } from '../src/core/errors';
import { AbortError } from '../src/core/cancel';
import { TEACH_LIMITS, featuresOf, teachFromFeatures } from '../src/core/teach';
import type { BackendName, ForwardEngine, FrameImage, JobSpec, Simulation, TeachStateReply, WorkerMemory, WorkerRequest, WorkerResponse } from './protocol';
import { transferables } from './protocol';
import { LatestWins } from './scheduler';
import { workerBench } from './bench';
import { runJob as runJobOf } from './jobs';
import { EtaEstimator } from '../src/core/eta';
import {
  type AdapterReport,
  type FrameTiming,
  type StartChoice,
  candidateBackends,
  chooseModel,
  choiceNote,
  deviceKey,
  explainChoice,
  fastestBackend,
  liveBudget,
  parseRemembered,
  standardWorthTiming,
} from './backend-choice';

/** What differs between the real worker (browser) and tests (Node): backends, model loading, pixels, posting. */
export interface HandlerEnvironment {
  /** Starts `forced` (only it), else the first backend that starts; resolves to the one in use. */
  chooseBackend(forced: BackendName | undefined): Promise<BackendName>;
  /**
   * Browser: which backends can start here and their renderers (software or not), before timing anything. Without
   * it (Node tests) the only candidate is what `chooseBackend` starts.
   */
  detectBackends?(): Promise<AdapterReport[]>;
  /** A bundled model (verified files under `modelsUrl`) or a stored own model by name (ModelLoadError, one line, if none). */
  loadNet(model: ModelName, modelsUrl: string): Promise<ConvNet>;
  /**
   * Browser, and Node tests: `model` loaded on the WASM backend, to be the forward twin of the CPU backend's network
   * (ConvNet.useForwardTwin), with what that backend runs with; undefined when WASM cannot start here. Must leave
   * the active backend as it found it.
   */
  loadForwardTwin?(model: ModelName, modelsUrl: string): Promise<{ net: ConvNet; engine: ForwardEngine } | undefined>;
  toPixels(image: FrameImage): tf.Tensor3D;
  toRgba(image: FrameImage): RgbaImage;
  /** The bundled gallery (read once, lazily). */
  loadGallery(galleryUrl: string | undefined): Promise<GalleryEntry[]>;
  featureCache: FeatureCache;
  /**
   * The gallery's shipped features (public/gallery/features.json + features.bin, scripts/gallery-features.ts),
   * read lazily on the first gallery feature lookup and answered before `featureCache`; undefined when absent.
   */
  loadPrecomputed?(galleryUrl: string): Promise<PrecomputedFeatures | undefined>;
  /**
   * The bundled gallery's precomputed universal perturbation for `model` (public/gallery/uap-MODEL.json,
   * scripts/gallery-uap.ts) as parsed JSON, fetched when a job asks for it; undefined when absent.
   */
  loadPrecomputedUap?(galleryUrl: string, model: ModelName): Promise<unknown>;
  /**
   * Browser: the pictures kept in IndexedDB (imports and visitors' snapshots, workers/gallery-store.ts), read
   * afresh for every gallery job. Without it (Node tests) snapshots live in memory for the session.
   */
  storedGallery?: { entries(): Promise<GalleryEntry[]>; addSnapshot(name: string, image: RgbaImage): Promise<string> };
  closeImage(image: FrameImage): void;
  post(message: WorkerResponse, transfer: Transferable[]): void;
  /** Browser, WebGPU or WebGL: calls `lost` once when the chosen backend's device or context goes away unexpectedly. */
  watchBackend?(backend: BackendName, lost: (reason: string) => void): void;
  /** After a loss: a fresh device for `lost` (else a fallback backend); resolves to the backend now in use. */
  recreateBackend?(lost: BackendName): Promise<BackendName>;
  /** Test/operator hook (see protocol `simulate`). */
  simulate?(what: Simulation): void;
  /**
   * "Your own model": checks, compiles (on the active backend, then released) and stores a model the page sent
   * (workers/own-model-store.ts in the browser, memory in tests); resolves to what the page lists about it.
   */
  storeOwnModel?(upload: OwnModelUpload): Promise<OwnModelInfo>;
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
        // Teach mode's taught network when there is one, else the loaded model.
        const live = taught?.pipeline ?? pipeline;
        try {
          if (!live) throw new Error('the model is not loaded yet');
          pixels = env.toPixels(request.image);
        } finally {
          env.closeImage(request.image);
        }
        let frame;
        framesBusy++;
        try {
          // A lost WebGL context never answers a pending readback: the loss ends the frame instead (it then fails).
          frame = await Promise.race([live!.process(pixels, request.settings, request.settings.perturb ? perturbation : undefined), loss.promise]);
        } finally {
          pixels.dispose();
          framesBusy--;
          disposeRetired();
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

  /** Whether forward-only passes may use a WASM twin on the CPU backend (init's `wasm`, default yes). */
  let wasmAllowed = true;
  /** What the last WASM twin runs with (set when one was loaded). */
  let wasmEngine: ForwardEngine | undefined;

  /**
   * `model` loaded for `backend`: on the CPU backend with a WASM forward twin where the environment offers one
   * (forward-only work on XNNPACK, gradients on CPU). A twin that fails to load is left out and said in the log line
   * of the ready status; the network still works on CPU alone.
   */
  async function loadFor(backend: BackendName, model: ModelName, modelsUrl: string): Promise<ConvNet> {
    const n = await env.loadNet(model, modelsUrl);
    if (backend !== 'cpu' || !wasmAllowed || !env.loadForwardTwin) return n;
    try {
      const twin = await env.loadForwardTwin(model, modelsUrl);
      if (twin) {
        n.useForwardTwin(twin.net, twin.engine.backend);
        wasmEngine = twin.engine;
      }
    } catch (err) {
      console.warn(`ConvLens: the WASM backend could not start (${messageOf(err)}); forward passes stay on the CPU backend`);
    }
    return n;
  }

  async function init(request: Extract<WorkerRequest, { type: 'init' }>): Promise<void> {
    const t0 = performance.now();
    // Another model: its features differ, so Teach mode's examples and taught network go.
    forgetTeaching();
    pipeline?.dispose();
    net?.dispose();
    [pipeline, net, extractor] = [undefined, undefined, undefined];
    galleryUrl = request.galleryUrl;
    wasmAllowed = request.wasm !== false;
    const chosen = await chooseStart(request);
    const { choice } = chosen;
    let warmupMs = 0;
    if (chosen.kept) {
      ({ net, pipeline } = chosen.kept);
    } else {
      net = await loadFor(choice.backend, choice.model, request.modelsUrl);
      pipeline = new LivePipeline(net);
    }
    loaded = { model: choice.model, modelsUrl: request.modelsUrl, backend: choice.backend };
    const loadMs = performance.now() - t0;
    if (!chosen.kept) {
      const t1 = performance.now();
      await warmUp(pipeline, net);
      warmupMs = performance.now() - t1;
    }
    env.watchBackend?.(choice.backend, (reason) => void recover(reason));
    const forward = net.forwardBackend && wasmEngine ? { forward: wasmEngine } : {};
    post({ type: 'ready', id: request.id, backend: choice.backend, model: choice.model, loadMs, warmupMs, layers: net.spatialLayers(), labels: [...net.labels], inputSize: net.inputSize, choice, ...forward });
  }

  /** A model loaded, warmed up and timed on one backend. */
  interface Timed {
    timing: FrameTiming;
    net: ConvNet;
    pipeline: LivePipeline;
  }

  /**
   * Starts `backend`, loads `model` on it, warms its kernels (activations and saliency, as at every start) and times
   * one more frame of each: the forward frame and the gradient frame, readbacks included.
   */
  async function timeFrames(backend: BackendName, model: ModelName, modelsUrl: string): Promise<Timed> {
    const t0 = performance.now();
    const started = await env.chooseBackend(backend);
    if (started !== backend) throw new Error(`${backend} did not start`);
    const n = await loadFor(backend, model, modelsUrl);
    const p = new LivePipeline(n);
    try {
      await warmUp(p, n);
      const setupMs = performance.now() - t0;
      const grey = tf.fill([n.inputSize, n.inputSize, 3], 128) as tf.Tensor3D;
      try {
        const time = async (view: 'activations' | 'saliency'): Promise<number> => {
          const t = performance.now();
          await p.process(grey, { ...warmSettings(n), view });
          return performance.now() - t;
        };
        const forwardMs = await time('activations');
        const gradientMs = await time('saliency');
        return { timing: { backend, model, forwardMs, gradientMs, setupMs }, net: n, pipeline: p };
      } finally {
        grey.dispose();
      }
    } catch (err) {
      p.dispose();
      n.dispose();
      throw err;
    }
  }

  /**
   * The backend, model and live budget to start with (workers/backend-choice.ts has the rules). A backend forced
   * by the URL is used as it is; else a choice remembered for this device (same renderers) is reused; else one warm
   * lite frame is timed on each candidate and the fastest taken. The model: the URL's or kiosk file's, else standard
   * when its gradient frame runs at 2 frames/s or more on the chosen backend, else lite. The model last timed on the
   * chosen backend is kept (loaded and warm) when it is the one chosen.
   */
  async function chooseStart(request: Extract<WorkerRequest, { type: 'init' }>): Promise<{ choice: StartChoice; kept?: { net: ConvNet; pipeline: LivePipeline } }> {
    const autoModel = request.auto?.model ?? false;
    const forced = request.backend;
    // An own model (named by the page) runs on the backend remembered for this device when there is one.
    const own = !autoModel && !isModelId(request.model);
    const adapters = env.detectBackends ? await env.detectBackends() : [];
    const key = deviceKey(adapters);
    const remembered = request.auto && !forced && (autoModel || own) ? parseRemembered(request.auto.remembered[key]) : undefined;
    let rememberedBackend: BackendName | undefined;
    if (remembered && adapters.find((a) => a.backend === remembered.backend)?.available !== false) {
      try {
        if ((await env.chooseBackend(remembered.backend)) === remembered.backend) {
          const { backend, model, budget, timings } = remembered;
          if (own) rememberedBackend = backend;
          else {
            return {
              choice: { backend, model, how: 'remembered', deviceKey: key, adapters, timings, budget, reason: `Remembered for this device: ${remembered.reason}`, note: choiceNote(model, 'remembered', false) },
            };
          }
        }
      } catch {
        // measure afresh below
      }
    }
    // Every model timed stays loaded until the choice is made; the one chosen is kept, the others disposed.
    const timed: Timed[] = [];
    const timings: FrameTiming[] = [];
    const time = async (b: BackendName, m: ModelName): Promise<FrameTiming> => {
      const t = await timeFrames(b, m, request.modelsUrl);
      timed.push(t);
      timings.push(t.timing);
      return t.timing;
    };
    let backend: BackendName;
    let model: ModelName = autoModel ? 'standard' : request.model;
    let kept: Timed | undefined;
    try {
      const candidates = forced || rememberedBackend || !env.detectBackends ? [] : candidateBackends(adapters);
      if (candidates.length > 1) {
        const failures: string[] = [];
        for (const b of candidates) {
          try {
            await time(b, 'lite');
          } catch (err) {
            failures.push(`${b}: ${messageOf(err)}`);
          }
        }
        if (timings.length === 0) throw new Error(`no backend could run the model (${failures.join('; ')})`);
        backend = fastestBackend(timings);
      } else {
        backend = await env.chooseBackend(forced ?? rememberedBackend ?? candidates[0]);
      }
      const lite = timings.find((t) => t.backend === backend && t.model === 'lite');
      if (model === 'standard' && autoModel && !standardWorthTiming(lite)) model = 'lite';
      if (model === 'standard') {
        const standard = await time(backend, 'standard');
        if (autoModel) model = chooseModel(standard);
      }
      kept = timed.find((t) => t.timing.backend === backend && t.timing.model === model);
      if (!kept) {
        await time(backend, model);
        kept = timed.at(-1)!;
      } else if (tf.getBackend() !== backend) {
        await env.chooseBackend(backend);
      }
    } finally {
      for (const t of timed) {
        if (t === kept) continue;
        t.pipeline.dispose();
        t.net.dispose();
      }
    }
    if (!kept) throw new Error('no model was kept'); // the try above either keeps one or throws
    const final = kept.timing;
    const how: StartChoice['how'] = forced && !autoModel ? 'forced' : rememberedBackend ? 'remembered' : 'measured';
    const warm = `one warm ${model} frame: ${Math.round(final.forwardMs)} ms forward, ${Math.round(final.gradientMs)} ms gradient.`;
    const reason = forced ? `${backend} forced by the URL; ${warm}` : rememberedBackend ? `${backend} remembered for this device; ${warm}` : explainChoice(adapters, timings, backend, model);
    const choice: StartChoice = { backend, model, how, deviceKey: key, adapters, timings, budget: liveBudget(final), reason, note: choiceNote(model, how, !autoModel) };
    return { choice, kept: { net: kept.net, pipeline: kept.pipeline } };
  }

  /** Warms the kernels (WebGPU compiles shaders on first use) behind the loading screen, not on a visitor's frame. */
  async function warmUp(p: LivePipeline, n: ConvNet): Promise<void> {
    const grey = tf.fill([n.inputSize, n.inputSize, 3], 128) as tf.Tensor3D;
    try {
      for (const view of ['activations', 'saliency'] as const) await p.process(grey, { ...warmSettings(n), view });
    } finally {
      grey.dispose();
    }
  }

  /**
   * Rejected when the backend's device or context is lost, then replaced: work in flight races it, because a
   * readback on a lost WebGL context never settles (WebGPU rejects, WebGL polls its fence forever).
   */
  let loss = lossSignal();

  /** What init loaded, to rebuild it after a lost device. */
  let loaded: { model: ModelName; modelsUrl: string; backend: BackendName } | undefined;
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
    loss.reject(new Error(`the graphics device was lost (${reason})`));
    loss = lossSignal();
    recovering = (async () => {
      try {
        for (const job of jobs.values()) job.abort();
        const wasTaught = taught?.with;
        dropTaught();
        disposeRetired(true);
        pipeline?.dispose();
        net?.dispose();
        perturbation?.dispose();
        [pipeline, net, extractor, perturbation] = [undefined, undefined, undefined, undefined];
        const backend = await env.recreateBackend!(was.backend);
        const fresh = await loadFor(backend, was.model, was.modelsUrl);
        net = fresh;
        pipeline = new LivePipeline(fresh);
        await warmUp(pipeline, fresh);
        // The taught head is retrained on what it was trained on (the same seed gives the same head); if that fails,
        // the model runs without it and the recovery still counts.
        if (wasTaught) {
          await trainTaught(wasTaught.classes, wasTaught.epochs, undefined, wasTaught.examples).catch((err: unknown) =>
            console.warn(`ConvLens: the taught classifier could not be rebuilt after the device loss (${messageOf(err)}); it is forgotten`),
          );
        }
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
  // One shipped-features cache for the worker's life: loaded once, kept across model switches (rows are keyed by
  // the model's fingerprint).
  let shipped: FeatureCache | undefined;
  const featureCache = (): FeatureCache => {
    const load = env.loadPrecomputed;
    if (!load) return env.featureCache;
    return (shipped ??= new PrecomputedFeatureCache(async () => (galleryUrl ? load(galleryUrl) : undefined), env.featureCache));
  };
  /**
   * Teach mode: the captured examples (pooled features of the loaded network, computed at capture; plain arrays, so
   * they outlive a lost device) and the taught network (the loaded one with the visitor's head) with its pipeline.
   */
  type Example = { classIndex: number; features: Float32Array };
  let examples: Example[] = [];
  /**
   * Counts changes to the examples other than adding one (forgetting, a class removed, another model): a capture
   * whose features were computed across such a change is dropped, not kept under a stale class or model.
   */
  let examplesGeneration = 0;
  /** `with`: what the head was trained on, to train it again after a lost device. */
  let taught: { net: ConvNet; pipeline: LivePipeline; with: { classes: string[]; epochs: number; examples: Example[] } } | undefined;
  /** Taught networks replaced while a frame or job may still use them: disposed once nothing runs. */
  const retired: { net: ConvNet; pipeline: LivePipeline }[] = [];
  let framesBusy = 0;

  function disposeRetired(now = false): void {
    if (!now && (framesBusy > 0 || jobs.size > 0)) return;
    for (const t of retired.splice(0)) {
      t.pipeline.dispose();
      t.net.dispose();
    }
  }

  function dropTaught(): void {
    if (taught) retired.push({ net: taught.net, pipeline: taught.pipeline });
    taught = undefined;
    disposeRetired();
  }

  function forgetTeaching(): void {
    examples = [];
    examplesGeneration++;
    dropTaught();
  }

  function teachState(id: number): TeachStateReply {
    const counts = Array.from({ length: TEACH_LIMITS.maxClasses }, (_, c) => examples.filter((e) => e.classIndex === c).length);
    return { type: 'teach-state', id, counts, taught: taught !== undefined, labels: [...(taught?.net ?? net)?.labels ?? []] };
  }

  /**
   * Trains the visitor's head on the examples of `classes` (class i: the examples captured as i; default the kept
   * ones) and puts the taught network in use; the previous one is retired. Resolves to the training figures; rejects
   * with an AbortError when cancelled, or when another model was loaded meanwhile.
   */
  async function trainTaught(classes: string[], epochs: number, control?: { signal: AbortSignal; onProgress: (done: number, total: number) => void }, from: Example[] = examples) {
    if (!net) throw new Error('the model is not loaded yet');
    const used = from.filter((e) => e.classIndex < classes.length);
    if (used.length === 0) throw new InvalidInputError('capture examples of every class first');
    const dim = used[0]!.features.length;
    const matrix = new Float32Array(used.length * dim);
    used.forEach((e, row) => matrix.set(e.features, row * dim));
    const features = tf.tensor2d(matrix, [used.length, dim]);
    const base = net;
    try {
      const result = await teachFromFeatures(base, features, used.map((e) => e.classIndex), classes, {
        epochs,
        ...(control ? { signal: control.signal, onProgress: (done: number, total: number) => control.onProgress(done, total) } : {}),
      });
      // Cancelled (Forget, a kiosk reset) or another model loaded while the last epoch ran: not to be put in use.
      if (control?.signal.aborted || net !== base) {
        result.net.dispose();
        throw new AbortError();
      }
      dropTaught();
      taught = { net: result.net, pipeline: new LivePipeline(result.net), with: { classes, epochs, examples: used } };
      return result;
    } finally {
      features.dispose();
    }
  }

  async function teachExample(request: Extract<WorkerRequest, { type: 'teach-example' }>): Promise<void> {
    let rgba: RgbaImage;
    try {
      rgba = env.toRgba(request.image);
    } finally {
      env.closeImage(request.image);
    }
    if (!net) throw new Error('the model is not loaded yet');
    const c = request.classIndex;
    if (!Number.isInteger(c) || c < 0 || c >= TEACH_LIMITS.maxClasses) throw new InvalidInputError(`class index ${c} is out of range 0..${TEACH_LIMITS.maxClasses - 1}`);
    if (examples.filter((e) => e.classIndex === c).length >= TEACH_LIMITS.maxExamplesPerClass) {
      throw new InvalidInputError(`class ${c + 1} has ${TEACH_LIMITS.maxExamplesPerClass} examples already, the most it keeps`);
    }
    const generation = examplesGeneration;
    const input = imageToModelInput(rgba, 'stretch', net.inputSize);
    let values: Float32Array;
    try {
      const features = featuresOf(net, input.tensor);
      try {
        // A lost WebGL context never answers a readback: the loss ends the capture instead.
        values = Float32Array.from(await Promise.race([features.data(), loss.promise]));
      } finally {
        features.dispose();
      }
    } finally {
      input.tensor.dispose();
    }
    // Forgotten, a class removed or another model while the features were computed: this frame belongs to none of them.
    if (generation === examplesGeneration) examples.push({ classIndex: c, features: values });
    post(teachState(request.id));
  }

  function teachForget(request: Extract<WorkerRequest, { type: 'teach-forget' }>): void {
    const c = request.classIndex;
    if (c === undefined) {
      forgetTeaching();
    } else {
      if (!Number.isInteger(c) || c < 0 || c >= TEACH_LIMITS.maxClasses) throw new InvalidInputError(`class index ${c} is out of range 0..${TEACH_LIMITS.maxClasses - 1}`);
      examples = examples.filter((e) => e.classIndex !== c).map((e) => (request.remove && e.classIndex > c ? { ...e, classIndex: e.classIndex - 1 } : e));
      examplesGeneration++;
    }
    post(teachState(request.id));
  }

  /** The latest universal perturbation, added to live frames while `settings.perturb` is on. */
  let perturbation: tf.Tensor4D | undefined;

  async function runJob(id: number, job: JobSpec): Promise<void> {
    if (!net) throw new Error('the model is not loaded yet');
    const controller = new AbortController();
    jobs.set(id, controller);
    // Each progress report carries the time left, estimated from the time per unit of work so far.
    const eta = new EtaEstimator(performance.now());
    try {
      const lost = loss.promise;
      const result = await Promise.race([lost, runJobOf(
        {
          net: taught?.net ?? net,
          teach: async (classes, epochs, signal, onProgress) => trainTaught(classes, epochs, { signal, onProgress }),
          extractor: (extractor ??= new FeatureExtractor(net, { cache: featureCache() })),
          // Only for a bundled model as loaded (not a taught head): the file was made on it.
          precomputedUap: async () => (taught || !galleryUrl || !loaded || !env.loadPrecomputedUap ? undefined : env.loadPrecomputedUap(galleryUrl, loaded.model)),
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
      )]);
      post({ type: 'done', id, result });
    } catch (err) {
      if (controller.signal.aborted) post({ type: 'cancelled', id });
      else throw err;
    } finally {
      jobs.delete(id);
      disposeRetired();
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
        case 'own-model': {
          if (!env.storeOwnModel) throw new Error('own models cannot be stored here');
          post({ type: 'own-model-stored', id: request.id, info: await env.storeOwnModel(request.upload) });
          break;
        }
        case 'teach-example':
          await teachExample(request);
          break;
        case 'teach-forget':
          teachForget(request);
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

/**
 * The live defaults with a layer `net` has: MobileNet's default grid layer, or for an own model a spatial layer a
 * third of the way in (as the page's defaultLayer picks).
 */
function warmSettings(net: ConvNet): typeof DEFAULT_LIVE_SETTINGS {
  if (net.hasLayer(DEFAULT_LIVE_SETTINGS.layer)) return DEFAULT_LIVE_SETTINGS;
  const layers = net.spatialLayers();
  return { ...DEFAULT_LIVE_SETTINGS, layer: layers[Math.floor(layers.length / 3)]?.name ?? DEFAULT_LIVE_SETTINGS.layer };
}

/** A promise that work in flight races, and its rejection (see `loss` in createInferenceHandler). */
function lossSignal(): { promise: Promise<never>; reject(err: Error): void } {
  let reject!: (err: Error) => void;
  const promise = new Promise<never>((_, r) => (reject = r));
  promise.catch(() => undefined); // nobody may be racing it when it is rejected
  return { promise, reject };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
