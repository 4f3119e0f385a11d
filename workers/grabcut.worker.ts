/**
 * The GrabCut worker: OpenCV's GrabCut (src/core/grabcut-opencv.ts) in a module worker of its own, started by the
 * inference worker the first time a segmentation needs it (workers/grabcut-client.ts). It has a worker of its own
 * because opencv.js's bindings are built with `new Function`: its script is served with GRABCUT_WORKER_CSP
 * (config/csp.ts), which allows that here and nowhere else. It receives pixels and seed labels and answers labels;
 * it fetches nothing (the WebAssembly is inside the script).
 */
// Imported statically: this worker is itself the lazy part (started on the first cut-out), and one file with OpenCV
// inside avoids a chunk that imports back from the worker's entry script.
import openCvModule from '@techstark/opencv-js';
import { type OpenCv, grabCutWithOpenCv, openCvReady } from '../src/core/grabcut-opencv';
import type { GrabCutReply, GrabCutRequest } from './grabcut-protocol';

const post = (reply: GrabCutReply, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(reply, transfer);

let ready: Promise<OpenCv> | undefined;

self.onmessage = async (event: MessageEvent<GrabCutRequest>) => {
  const { id, image, seed, iterations } = event.data;
  try {
    const cv = await (ready ??= openCvReady(openCvModule));
    const labels = grabCutWithOpenCv(cv, image, seed, iterations);
    post({ id, labels }, [labels.buffer]);
  } catch (err) {
    post({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
