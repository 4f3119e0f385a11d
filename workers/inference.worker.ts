/// <reference lib="webworker" />
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { modelJsonPath } from '../src/core/models';
import { ConvNet } from '../src/core/network';
import { imageToTensor } from '../src/core/preprocess';
import { createInferenceHandler } from './inference-handler';
import type { BackendName, WorkerRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

/**
 * WebGPU first, then WebGL, then CPU (WASM has no gradient kernels). tf.setBackend resolves false when the
 * backend cannot start (e.g. no WebGPU adapter) while getBackend() may still name it: check the boolean.
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

const handle = createInferenceHandler({
  chooseBackend,
  loadNet: (model, modelsUrl) => ConvNet.load(new URL(modelJsonPath(model), modelsUrl).href),
  toPixels: (image) => ('close' in image ? tf.browser.fromPixels(image) : imageToTensor(image)),
  closeImage: (image) => {
    if ('close' in image) image.close();
  },
  post: (message, transfer) => self.postMessage(message, transfer),
});

self.onmessage = (event: MessageEvent<WorkerRequest>) => void handle(event.data);
