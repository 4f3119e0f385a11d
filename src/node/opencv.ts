/**
 * OpenCV (opencv.js, @techstark/opencv-js) in Node: loaded with `require` on first use, so commands that never cut
 * anything out never load it. (A dynamic `import()` of it can never settle where the loader spreads the CommonJS
 * exports into the namespace: the module object's own `then` makes the namespace a thenable.)
 */
import { createRequire } from 'node:module';
import { AbortError } from '../core/cancel';
import { type OpenCv, grabCutWithOpenCv, openCvReady } from '../core/grabcut-opencv';
import type { GrabCutRunner } from '../core/segment-mask';

let loading: Promise<OpenCv> | undefined;

/** Loads opencv.js once (1–15 s on this machine, most of it compiling its WebAssembly); later calls share it. */
export function loadOpenCv(): Promise<OpenCv> {
  loading ??= openCvReady(createRequire(import.meta.url)('@techstark/opencv-js'));
  loading.catch(() => (loading = undefined));
  return loading;
}

/**
 * A GrabCutRunner on OpenCV in this thread (the CLI and tests). A cancel before the run rejects with an AbortError; a
 * run, once started, takes its few seconds to the end (OpenCV cannot be interrupted).
 */
export const openCvGrabCut: GrabCutRunner = async (image, seed, iterations, signal) => {
  const cv = await loadOpenCv();
  if (signal?.aborted) throw new AbortError();
  return grabCutWithOpenCv(cv, image, seed, iterations);
};
