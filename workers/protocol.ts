/**
 * The typed message protocol between the page and the inference worker (one module, imported by both sides).
 * Requests carry an id; every response names the id it answers.
 */
import type { Prediction } from '../src/core/classify';
import type { ModelId } from '../src/core/models';

export type BackendName = 'webgpu' | 'webgl' | 'cpu';

export type WorkerRequest =
  | { type: 'init'; id: number; model: ModelId; backend?: BackendName; modelsUrl: string }
  | { type: 'classify'; id: number; image: ImageBitmap; top: number };

export type WorkerResponse =
  | { type: 'ready'; id: number; backend: BackendName; model: ModelId; loadMs: number }
  | { type: 'predictions'; id: number; predictions: Prediction[]; ms: number }
  | { type: 'error'; id: number; message: string };
