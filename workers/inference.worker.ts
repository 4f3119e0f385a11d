/// <reference lib="webworker" />
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { classify } from '../src/core/classify';
import { modelJsonPath } from '../src/core/models';
import { ConvNet } from '../src/core/network';
import { toModelInput } from '../src/core/preprocess';
import type { BackendName, WorkerRequest, WorkerResponse } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let net: ConvNet | undefined;

/**
 * WebGPU first, then WebGL, then CPU (WASM has no gradient kernels). tf.setBackend resolves false when the
 * backend cannot start (e.g. no WebGPU adapter), and getBackend() may still name it: check the boolean.
 */
async function chooseBackend(forced: BackendName | undefined): Promise<BackendName> {
  const order: BackendName[] = forced ? [forced] : ['webgpu', 'webgl', 'cpu'];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) return name;
    } catch {
      // try the next one
    }
  }
  throw new Error(`no usable TensorFlow.js backend (tried ${order.join(', ')})`);
}

function reply(message: WorkerResponse): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  try {
    if (msg.type === 'init') {
      const t0 = performance.now();
      const backend = await chooseBackend(msg.backend);
      net?.dispose();
      net = await ConvNet.load(new URL(modelJsonPath(msg.model), msg.modelsUrl).href);
      reply({ type: 'ready', id: msg.id, backend, model: msg.model, loadMs: performance.now() - t0 });
    } else if (msg.type === 'classify') {
      if (!net) throw new Error('model not loaded yet');
      const t0 = performance.now();
      const pixels = tf.browser.fromPixels(msg.image);
      msg.image.close();
      const { tensor } = toModelInput(pixels);
      pixels.dispose();
      const predictions = await classify(net, tensor, msg.top);
      tensor.dispose();
      reply({ type: 'predictions', id: msg.id, predictions, ms: performance.now() - t0 });
    }
  } catch (err) {
    reply({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
  }
};
