/**
 * The inference worker's GrabCutRunner: hands each run to the GrabCut worker (workers/grabcut.worker.ts), which it
 * starts on first use — so opencv.js (about 11 MB) is fetched only when someone asks for a segmentation — and keeps
 * for later runs. A cancel terminates that worker at once (OpenCV cannot be interrupted otherwise); the next run
 * starts a fresh one.
 */
import { AbortError } from '../src/core/cancel';
import type { GrabCutRunner } from '../src/core/segment';
import type { GrabCutReply, GrabCutRequest } from './grabcut-protocol';

let worker: Worker | undefined;
let nextId = 1;

function start(): Worker {
  // A module worker of its own: Vite bundles it (and opencv.js with it) as a separate file, fetched on first use.
  worker ??= new Worker(new URL('./grabcut.worker.ts', import.meta.url), { type: 'module', name: 'grabcut' });
  return worker;
}

/** GrabCut in the GrabCut worker; rejects with an AbortError when `signal` aborts (the worker is then ended). */
export const workerGrabCut: GrabCutRunner = (image, seed, iterations, signal) =>
  new Promise<Uint8Array>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError());
    const w = start();
    const id = nextId++;
    const done = (): void => {
      w.removeEventListener('message', onMessage);
      w.removeEventListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onMessage = (event: MessageEvent<GrabCutReply>): void => {
      if (event.data.id !== id) return;
      done();
      if ('error' in event.data) reject(new Error(`GrabCut failed: ${event.data.error}`));
      else resolve(event.data.labels);
    };
    const onError = (event: ErrorEvent): void => {
      done();
      w.terminate();
      if (worker === w) worker = undefined;
      reject(new Error(`the GrabCut worker failed to start: ${event.message || 'script error'}`));
    };
    const onAbort = (): void => {
      done();
      w.terminate();
      if (worker === w) worker = undefined;
      reject(new AbortError());
    };
    w.addEventListener('message', onMessage);
    w.addEventListener('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    const request: GrabCutRequest = { id, image, seed, iterations };
    w.postMessage(request);
  });
