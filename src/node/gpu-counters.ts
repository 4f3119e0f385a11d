/**
 * Counts of the GPU work a WebGPU program issues, taken where it reaches the driver: every
 * `GPUComputePassEncoder.dispatchWorkgroups` call (one compute shader run: tfjs-backend-webgpu issues one per GPU
 * kernel, none for kernels it forwards to the CPU or that only relabel a buffer, such as Reshape or Identity),
 * every `GPUQueue.submit` (tfjs batches up to WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches per submit and submits
 * before each readback) and every `GPUBuffer.mapAsync` (a readback to the CPU).
 *
 * tfjs-backend-webgpu keeps no running total of its own (its `dispatchCountInPass` resets at every submit), so the
 * counter wraps the three methods on the prototypes of the WebGPU implementation (e.g. the `globals` of the
 * `webgpu` npm package, Dawn's Node bindings). Counting costs one integer increment per call.
 */

/** Running totals since the counters were installed. */
export interface GpuCounts {
  /** Compute dispatches (`dispatchWorkgroups` calls). */
  dispatches: number;
  /** Queue submissions (`queue.submit` calls). */
  submits: number;
  /** Buffer maps for reading (`mapAsync` calls): readbacks to the CPU. */
  readbacks: number;
}

/** The installed counters: `read()` gives the totals so far; subtract two reads for the work in between. */
export interface GpuCounters {
  read(): GpuCounts;
}

/** The prototypes to wrap (a WebGPU implementation's classes; only `prototype` is used). */
export interface GpuClasses {
  GPUComputePassEncoder?: { prototype: object };
  GPUQueue?: { prototype: object };
  GPUBuffer?: { prototype: object };
}

const INSTALLED = Symbol.for('convlens.gpuCounters');

type Counted = Record<PropertyKey, unknown>;

function wrap(proto: object | undefined, method: string, bump: () => void): void {
  const target = proto as Counted | undefined;
  const original = target?.[method];
  if (typeof original !== 'function') return;
  target![method] = function (this: unknown, ...args: unknown[]): unknown {
    bump();
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
}

const hasMethod = (proto: object | undefined, method: string): boolean => typeof (proto as Counted | undefined)?.[method] === 'function';

/**
 * Installs the counters on `classes` (once per set of classes: a second call returns the first counters).
 * Throws, wrapping nothing, when the classes lack `dispatchWorkgroups` or `submit` (not a WebGPU implementation);
 * a missing `mapAsync` only leaves readbacks at 0.
 */
export function installGpuCounters(classes: GpuClasses): GpuCounters {
  const pass = classes.GPUComputePassEncoder?.prototype as Counted | undefined;
  const existing = pass?.[INSTALLED] as GpuCounters | undefined;
  if (existing) return existing;
  if (!hasMethod(pass, 'dispatchWorkgroups')) throw new Error('cannot count GPU dispatches: no GPUComputePassEncoder.prototype.dispatchWorkgroups');
  if (!hasMethod(classes.GPUQueue?.prototype, 'submit')) throw new Error('cannot count GPU submits: no GPUQueue.prototype.submit');
  const counts: GpuCounts = { dispatches: 0, submits: 0, readbacks: 0 };
  wrap(pass, 'dispatchWorkgroups', () => counts.dispatches++);
  wrap(classes.GPUQueue?.prototype, 'submit', () => counts.submits++);
  wrap(classes.GPUBuffer?.prototype, 'mapAsync', () => counts.readbacks++);
  const counters: GpuCounters = { read: () => ({ ...counts }) };
  pass![INSTALLED] = counters;
  return counters;
}

/** `after − before`, field by field. */
export function countsBetween(before: GpuCounts, after: GpuCounts): GpuCounts {
  return { dispatches: after.dispatches - before.dispatches, submits: after.submits - before.submits, readbacks: after.readbacks - before.readbacks };
}
