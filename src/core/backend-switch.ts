import * as tf from '@tensorflow/tfjs';

/**
 * Runs `fn` with TensorFlow.js's active backend switched to `backend` and switches back before returning (or
 * throwing). Synchronous on purpose: other work of the same thread (a job between two awaits, the next live
 * frame) must never run while the other backend is active, so `fn` may not await; the tensors it returns live on
 * `backend` and can be read back (`data()`) or used by later ops anywhere — tfjs moves a tensor's data to the
 * active backend on first use (engine.moveData).
 *
 * Why it can be synchronous: tfjs-core's `engine.setBackend` only awaits when it must initialise the backend; for
 * one already initialised (tf.findBackend(name) non-null) it switches before its promise settles. Cost: a switch
 * re-runs the kernels' setup functions (engine.setupRegisteredKernels) — 0.76 ms per CPU → WASM → CPU round trip
 * in Node here, small beside a 9 ms WASM forward pass but not free: switch once per batch, not per op. Throws Error when
 * `backend` is not registered and initialised, leaving the active backend as it was.
 */
export function onBackend<T>(backend: string, fn: () => T): T {
  const previous = tf.getBackend();
  if (previous === backend) return fn();
  if (!tf.findBackend(backend)) throw new Error(`the ${backend} backend is not initialised (await tf.setBackend('${backend}') first)`);
  switchNow(backend);
  try {
    return fn();
  } finally {
    switchNow(previous);
  }
}

function switchNow(backend: string): void {
  void tf.setBackend(backend);
  if (tf.getBackend() !== backend) throw new Error(`could not switch to the ${backend} backend synchronously`);
}
