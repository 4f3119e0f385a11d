/// <reference lib="webworker" />
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// The WASM backend's three builds, served from the app's own origin (hashed assets, precached for offline use);
// it picks one: threads + SIMD where the worker is cross-origin isolated, else SIMD, else plain.
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { loadVerifiedArtifacts } from '../src/core/model-integrity';
import { MODELS, type ModelName, isModelId } from '../src/core/models';
import { ModelLoadError } from '../src/core/errors';
import { type OwnModelInfo, type OwnModelUpload, ownModelRecord } from '../src/core/own-model';
import { compileOwnModel, loadOwnModel } from '../src/core/own-model-compile';
import { putOwnModel, storedOwnModel } from './own-model-store';
import { ConvNet } from '../src/core/network';
import { contentId, type GalleryEntry } from '../src/core/gallery/gallery';
import { PrecomputedFeatures, type PrecomputedIndex } from '../src/core/gallery/precomputed';
import { imageToTensor } from '../src/core/preprocess';
import { bitmapToRgba, compositeFrame, decodePictureBytes } from './picture-decode';
import { assetProblem } from '../src/core/fetched-asset';
import { IdbFeatureCache } from './idb-feature-cache';
import { workerStoredGallery } from './gallery-store';
import { createInferenceHandler } from './inference-handler';
import { PINNED_MODEL_SUMS } from './pinned-checksums';
import { recreateBackend, simulate, watchWebGPU } from './webgpu-recovery';
import { watchWebGL } from './webgl-recovery';
import { type AdapterReport, isSoftwareRenderer } from './backend-choice';
import type { BackendName, ForwardEngine, WorkerRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
});

/**
 * `forced` only, else WebGPU first, then WebGL, then CPU (WASM has no gradient kernels: on CPU it runs the forward
 * passes only, see wasmTwin). tf.setBackend resolves
 * false when the backend cannot start (e.g. no WebGPU adapter) while getBackend() may still name it: check the
 * boolean. Without a forced backend the handler measures instead (detectBackends, workers/backend-choice.ts).
 */
async function chooseBackend(forced: BackendName | undefined): Promise<BackendName> {
  const order: BackendName[] = forced ? [forced] : ['webgpu', 'webgl', 'cpu'];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // fall through to the next backend
    }
  }
  throw new Error(`no usable TensorFlow.js backend (tried ${order.join(', ')})`);
}

/**
 * What can start here, before timing anything: the WebGPU adapter (its info — vendor, architecture, device,
 * description — and whether it is the fallback adapter) and WebGL's unmasked renderer (WEBGL_debug_renderer_info,
 * else RENDERER), on a context made with TensorFlow.js's own attributes so that "available" means tfjs can use it.
 */
async function detectBackends(): Promise<AdapterReport[]> {
  const webgpu: AdapterReport = { backend: 'webgpu', available: false, renderer: '', software: false };
  try {
    const adapter = 'gpu' in navigator ? await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' }) : null;
    if (adapter) {
      const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
      const renderer = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ');
      const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true || info?.isFallbackAdapter === true;
      Object.assign(webgpu, { available: true, renderer, software: fallback || isSoftwareRenderer(renderer) });
    }
  } catch {
    // no WebGPU
  }
  const webgl: AdapterReport = { backend: 'webgl', available: false, renderer: '', software: false };
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2', { alpha: false, antialias: false, depth: false, stencil: false, failIfMajorPerformanceCaveat: true });
    if (gl) {
      const debug = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
      Object.assign(webgl, { available: true, renderer, software: isSoftwareRenderer(renderer) });
      gl.getExtension('WEBGL_lose_context')?.loseContext(); // frees the probe's context now, not at GC
    }
  } catch {
    // no WebGL
  }
  return [webgpu, webgl, { backend: 'cpu', available: true, renderer: 'cpu', software: true }];
}

/** The bundled gallery listed in gallery.json; an image that cannot be fetched is left out. */
async function loadGallery(galleryUrl: string | undefined): Promise<GalleryEntry[]> {
  if (!galleryUrl) return [];
  const listed = await fetch(new URL('gallery.json', galleryUrl));
  const text = new Uint8Array(await listed.arrayBuffer());
  const problem = assetProblem(listed, text);
  if (problem) throw new Error(`gallery/gallery.json is ${problem.problem === 'missing' ? 'missing' : 'unavailable'} (${problem.detail})`);
  const list = JSON.parse(new TextDecoder().decode(text)) as { images: string[] };
  const entries = await Promise.all(
    list.images.map(async (name): Promise<GalleryEntry | undefined> => {
      try {
        const response = await fetch(new URL(name, galleryUrl));
        const bytes = new Uint8Array(await response.arrayBuffer());
        // A missing picture answered by an SPA fallback (index.html, status 200) is missing, not a picture.
        if (assetProblem(response, bytes)) return undefined;
        return { id: await contentId(bytes), name, decode: () => decodePictureBytes(bytes) };
      } catch {
        return undefined;
      }
    }),
  );
  return entries.filter((e): e is GalleryEntry => e !== undefined);
}

/**
 * The gallery's shipped features (features.json + features.bin beside gallery.json), fetched on the first gallery
 * feature lookup. Missing or unreadable files mean none: every feature is then computed (and cached) as before.
 */
async function loadPrecomputed(galleryUrl: string): Promise<PrecomputedFeatures | undefined> {
  try {
    const [index, data] = await Promise.all(['features.json', 'features.bin'].map(async (name) => {
      const response = await fetch(new URL(name, galleryUrl));
      const bytes = new Uint8Array(await response.arrayBuffer());
      return assetProblem(response, bytes) ? undefined : bytes;
    }));
    if (!index || !data) return undefined;
    return new PrecomputedFeatures(JSON.parse(new TextDecoder().decode(index)) as PrecomputedIndex, data);
  } catch {
    return undefined;
  }
}

/** The bundled gallery's precomputed universal perturbation for `model` (uap-MODEL.json), parsed; undefined when absent. */
async function loadPrecomputedUap(galleryUrl: string, model: string): Promise<unknown> {
  if (!/^[a-z0-9-]+$/.test(model)) return undefined;
  try {
    const response = await fetch(new URL(`uap-${model}.json`, galleryUrl));
    const bytes = new Uint8Array(await response.arrayBuffer());
    return assetProblem(response, bytes) ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as unknown);
  } catch {
    return undefined;
  }
}

/**
 * Model bytes fetched and checked against the pinned SHA-256 sums, kept in memory: the model is rebuilt from them
 * after a lost GPU device without fetching again. A failed load is forgotten, so "Try again" fetches afresh.
 */
const verified = new Map<string, Promise<tf.io.ModelArtifacts>>();
function verifiedNet(model: ModelName, modelsUrl: string): Promise<ConvNet> {
  if (!isModelId(model)) return ownNet(model);
  const dir = MODELS[model].dir;
  const key = new URL(dir, modelsUrl).href;
  let artifacts = verified.get(key);
  if (!artifacts) {
    artifacts = loadVerifiedArtifacts(dir, modelsUrl, PINNED_MODEL_SUMS);
    verified.set(key, artifacts);
    artifacts.catch(() => verified.delete(key));
  }
  return artifacts.then((a) => ConvNet.load(tf.io.fromMemory(a)));
}

/** A model the user stored in this browser (workers/own-model-store.ts): rebuilt from IndexedDB, nothing fetched. */
async function ownNet(name: string): Promise<ConvNet> {
  const record = await storedOwnModel(name);
  if (!record) throw new ModelLoadError(`no model named "${name}" is stored in this browser (add it under "Use your own model", or open the app without ?model=)`);
  return loadOwnModel(record);
}

/**
 * "Your own model": compiled on the active backend (an unsupported layer or labels that do not fit are one line
 * here, before anything is stored), released, then stored in IndexedDB.
 */
async function storeOwnModel(upload: OwnModelUpload): Promise<OwnModelInfo> {
  const { net, info } = await compileOwnModel(upload);
  net.dispose();
  try {
    await putOwnModel(ownModelRecord(upload, info));
  } catch (err) {
    const name = err instanceof DOMException ? err.name : '';
    throw new Error(name === 'QuotaExceededError' ? `Storage is full: ${upload.name} was not stored` : `${upload.name} could not be stored (${(err as Error).message})`, { cause: err });
  }
  return info;
}

/**
 * The model's forward twin on the WASM backend (issue 13, goal 5; see ConvNet.useForwardTwin): the same verified
 * bytes loaded while WASM is the active backend, then the previous backend active again. Runs at start and after a
 * recovery only, when no frame or job is using TensorFlow.js. Undefined when the WASM backend cannot start.
 */
async function wasmTwin(model: ModelName, modelsUrl: string): Promise<{ net: ConvNet; engine: ForwardEngine } | undefined> {
  const previous = tf.getBackend();
  try {
    if (!(await tf.setBackend('wasm'))) return undefined;
    const net = await verifiedNet(model, modelsUrl);
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    return { net, engine: { backend: 'wasm', simd, threads: getThreadsCount(), isolated: self.crossOriginIsolated } };
  } finally {
    await tf.setBackend(previous);
  }
}

const handle = createInferenceHandler({
  chooseBackend,
  detectBackends,
  loadNet: verifiedNet,
  loadForwardTwin: wasmTwin,
  // Frames are composited over the picture background before the model sees them (see picture-decode.ts).
  toPixels: (image) => {
    if (!('close' in image)) return imageToTensor(image);
    const opaque = compositeFrame(image);
    try {
      return tf.browser.fromPixels(opaque);
    } finally {
      opaque.close();
    }
  },
  toRgba: (image) => ('close' in image ? bitmapToRgba(image) : image),
  loadGallery,
  featureCache: new IdbFeatureCache(),
  loadPrecomputed,
  loadPrecomputedUap,
  storedGallery: workerStoredGallery(),
  closeImage: (image) => {
    if ('close' in image) image.close();
  },
  post: (message, transfer) => self.postMessage(message, transfer),
  watchBackend: (backend, lost) => {
    watchWebGPU(backend, lost);
    watchWebGL(backend, lost);
  },
  recreateBackend,
  simulate,
  storeOwnModel,
});

self.onmessage = (event: MessageEvent<WorkerRequest>) => void handle(event.data);
