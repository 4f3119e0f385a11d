/**
 * GrabCut by OpenCV (cv.grabCut, Rother et al. 2004) through opencv.js (@techstark/opencv-js 4.12, the docs.opencv.org
 * build with its WebAssembly embedded). DOM-free: runs in Node (CLI, tests) and in a module Web Worker
 * (workers/grabcut.worker.ts). This module does not import OpenCV: the caller hands in the loaded module (Node:
 * src/node/opencv.ts; the browser: the GrabCut worker, itself started only on the first cut-out).
 *
 * opencv.js's bindings (Emscripten embind) build their wrappers with `new Function`, which the app's
 * Content-Security-Policy refuses; the browser therefore runs it only in its own worker, served with a policy that
 * allows that (config/csp.ts, GRABCUT_WORKER_CSP).
 */
import type { RgbaImage } from './preprocess';

/** The part of an OpenCV Mat this module uses (opencv.js's embind class). */
interface CvMat {
  data: Uint8Array;
  delete(): void;
  isDeleted(): boolean;
}

/** The part of opencv.js this module uses: Mats, colour conversion, grabCut and its constants. */
export interface OpenCv {
  Mat: { new (): CvMat; new (rows: number, cols: number, type: number): CvMat };
  Rect: new (x: number, y: number, width: number, height: number) => object;
  CV_8UC1: number;
  CV_8UC4: number;
  COLOR_RGBA2RGB: number;
  GC_INIT_WITH_MASK: number;
  cvtColor(src: CvMat, dst: CvMat, code: number): void;
  grabCut(img: CvMat, mask: CvMat, rect: object, bgdModel: CvMat, fgdModel: CvMat, iterations: number, mode: number): void;
}

interface OpenCvModule {
  Mat?: unknown;
  then?: unknown;
  onRuntimeInitialized?: () => void;
}

/**
 * Resolves when the opencv.js module `mod` (the package's default export, imported statically or dynamically) has
 * started its runtime: the package's documented start-up — a promise of the module, or the module with its runtime
 * still starting (onRuntimeInitialized).
 */
export async function openCvReady(mod: unknown): Promise<OpenCv> {
  const started = mod as OpenCvModule | Promise<OpenCvModule>;
  const cv = started instanceof Promise ? await started : started;
  if (!cv.Mat) await new Promise<void>((resolve) => (cv.onRuntimeInitialized = resolve));
  // This build's module object is a thenable whose `then` hands back the module itself, so a promise resolved
  // with it never settles (later Emscripten releases removed `then` for that reason): drop it.
  delete cv.then;
  return cv as unknown as OpenCv;
}

/**
 * One GrabCut run with OpenCV: `image` (RGBA; alpha dropped) and the seed labels `seed` (GC values, width × height)
 * in, cv.grabCut with GC_INIT_WITH_MASK for `iterations` iterations, the final labels out. Every Mat it makes is
 * deleted before it returns or throws (the count of live Mats is `liveMats()`).
 */
export function grabCutWithOpenCv(cv: OpenCv, image: RgbaImage, seed: Uint8Array, iterations: number): Uint8Array {
  const { width, height } = image;
  if (seed.length !== width * height) throw new Error(`GrabCut seed has ${seed.length} labels for a ${width}×${height} image`);
  const made: CvMat[] = [];
  const mat = (m: CvMat): CvMat => {
    made.push(m);
    counts.created++;
    return m;
  };
  try {
    const rgba = mat(new cv.Mat(height, width, cv.CV_8UC4));
    rgba.data.set(image.data);
    const rgb = mat(new cv.Mat());
    cv.cvtColor(rgba, rgb, cv.COLOR_RGBA2RGB);
    const mask = mat(new cv.Mat(height, width, cv.CV_8UC1));
    mask.data.set(seed);
    const bgd = mat(new cv.Mat());
    const fgd = mat(new cv.Mat());
    cv.grabCut(rgb, mask, new cv.Rect(0, 0, width, height), bgd, fgd, iterations, cv.GC_INIT_WITH_MASK);
    return Uint8Array.from(mask.data);
  } finally {
    for (const m of made) {
      m.delete();
      if (m.isDeleted()) counts.deleted++;
    }
  }
}

const counts = { created: 0, deleted: 0 };

/**
 * Mats made by grabCutWithOpenCv so far in this process, and those of them that OpenCV reports deleted
 * (Mat.isDeleted() after delete()); tests check they match.
 */
export function matCounts(): { created: number; deleted: number } {
  return { ...counts };
}
