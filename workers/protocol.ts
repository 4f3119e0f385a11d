/**
 * The typed message protocol between the page and the inference worker (one module, imported by both sides).
 * Every request carries an id; every response names the id it answers. Large arrays travel as transferables.
 */
import type { AttributionMethodName } from '../src/core/attribution';
import type { LayerInfo } from '../src/core/network';
import type { LiveFrame, LiveSettings } from '../src/core/live/settings';
import type { ModelId } from '../src/core/models';
import type { RgbaImage } from '../src/core/preprocess';

export const BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A camera frame or picture: an ImageBitmap in the browser; plain RGBA pixels also work (tests, Node). */
export type FrameImage = ImageBitmap | RgbaImage;

/** Long, cancellable work on one frozen frame. */
export type JobSpec = { kind: 'explain'; method: AttributionMethodName; classIndex: number; image: FrameImage; options?: Record<string, number> };

export type JobResult = { kind: 'explain'; heatmap: { width: number; height: number; data: Float32Array }; ms: number };

export type WorkerRequest =
  | { type: 'init'; id: number; model: ModelId; backend?: BackendName; modelsUrl: string }
  | { type: 'frame'; id: number; image: FrameImage; settings: LiveSettings }
  | { type: 'filters'; id: number; layer?: string }
  | { type: 'job'; id: number; job: JobSpec }
  | { type: 'cancel'; id: number; job: number };

export type WorkerResponse =
  | { type: 'ready'; id: number; backend: BackendName; model: ModelId; loadMs: number; warmupMs: number; layers: LayerInfo[] }
  | { type: 'frame'; id: number; frame: LiveFrame; ms: number }
  | { type: 'dropped'; id: number }
  | { type: 'image'; id: number; image: RgbaImage }
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'done'; id: number; result: JobResult }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id: number; message: string };

/** Buffers worth transferring instead of copying. */
export function transferables(message: WorkerResponse): ArrayBuffer[] {
  const buffers: ArrayBufferLike[] = [];
  if (message.type === 'frame') {
    if (message.frame.activations) buffers.push(message.frame.activations.data.buffer);
    if (message.frame.heatmap) buffers.push(message.frame.heatmap.data.buffer);
  } else if (message.type === 'image') {
    buffers.push(message.image.data.buffer);
  } else if (message.type === 'done') {
    buffers.push(message.result.heatmap.data.buffer);
  }
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
