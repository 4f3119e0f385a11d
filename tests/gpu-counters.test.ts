import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { countsBetween, installGpuCounters } from '../src/node/gpu-counters';
import { GpuSetupError, type DawnWebGpu, describeAdapter, missingGlPackages, noAdapterMessage, summarizeAdapter, useDawnWebGpu } from '../src/node/webgpu';

describe('GPU counters on stand-in WebGPU classes', () => {
  class Pass {
    calls: number[][] = [];
    dispatchWorkgroups(x: number, y = 1, z = 1): string {
      this.calls.push([x, y, z]);
      return `dispatched ${x}`;
    }
  }
  class Queue {
    buffers = 0;
    submit(list: unknown[]): void {
      this.buffers += list.length;
    }
  }
  class Buffer {
    mapAsync(mode: number): Promise<number> {
      return Promise.resolve(mode * 2);
    }
  }

  it('counts each call once and still runs the original with its receiver, arguments and result', async () => {
    const counters = installGpuCounters({ GPUComputePassEncoder: Pass, GPUQueue: Queue, GPUBuffer: Buffer });
    const before = counters.read();
    expect(before).toEqual({ dispatches: 0, submits: 0, readbacks: 0 });
    const [a, b] = [new Pass(), new Pass()];
    expect(a.dispatchWorkgroups(4, 2)).toBe('dispatched 4');
    b.dispatchWorkgroups(7);
    b.dispatchWorkgroups(1, 1, 3);
    const q = new Queue();
    q.submit([1, 2]);
    q.submit([]);
    expect(await new Buffer().mapAsync(3)).toBe(6);
    expect(a.calls).toEqual([[4, 2, 1]]);
    expect(b.calls).toEqual([[7, 1, 1], [1, 1, 3]]);
    expect(q.buffers).toBe(2);
    const after = counters.read();
    expect(countsBetween(before, after)).toEqual({ dispatches: 3, submits: 2, readbacks: 1 });
    // Installing again returns the same counters and does not wrap twice (one call still counts once).
    const again = installGpuCounters({ GPUComputePassEncoder: Pass, GPUQueue: Queue, GPUBuffer: Buffer });
    expect(again).toBe(counters);
    a.dispatchWorkgroups(1);
    expect(countsBetween(after, counters.read())).toEqual({ dispatches: 1, submits: 0, readbacks: 0 });
  });

  it('refuses classes that are not WebGPU', () => {
    expect(() => installGpuCounters({ GPUComputePassEncoder: { prototype: {} }, GPUQueue: Queue })).toThrow(/dispatchWorkgroups/);
    expect(() => installGpuCounters({ GPUComputePassEncoder: { prototype: { dispatchWorkgroups: () => undefined } } })).toThrow(/submit/);
  });
});

describe('Dawn set-up helpers', () => {
  it('names the Debian package of each missing Mesa library', () => {
    const present = new Set(['/usr/lib/x86_64-linux-gnu/libEGL.so.1', '/opt/gl/libEGL_mesa.so.0']);
    const missing = missingGlPackages(['/opt/gl', '/usr/lib/x86_64-linux-gnu'], (p) => present.has(p));
    expect(missing).toEqual(['libegl-dev', 'libgl1-mesa-dri']);
    expect(missingGlPackages(['/x'], () => true)).toEqual([]);
    const line = noAdapterMessage(['default: no adapter', 'opengles: no adapter'], missing);
    expect(line).toContain('apt-get install libegl-dev libgl1-mesa-dri');
    expect(line).toContain('default: no adapter; opengles: no adapter');
    expect(line.includes('\n')).toBe(false);
  });

  it('recognises software adapters by name or by the fallback flag', () => {
    const adapter = (info: Record<string, unknown>): GPUAdapter => ({ info }) as unknown as GPUAdapter;
    const llvmpipe = summarizeAdapter(adapter({ vendor: '', architecture: '', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL ES 3.2 Mesa 22.3.6', isFallbackAdapter: false }));
    expect(llvmpipe.software).toBe(true);
    expect(describeAdapter(llvmpipe)).toBe('llvmpipe-llvm-15-0-6-256-bits- (OpenGL ES 3.2 Mesa 22.3.6), software, isFallbackAdapter false');
    const nvidia = summarizeAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' }));
    expect(nvidia).toMatchObject({ software: false, isFallbackAdapter: undefined });
    expect(summarizeAdapter(adapter({ vendor: 'x', isFallbackAdapter: true })).software).toBe(true);
  });
});

// On a machine where Dawn finds an adapter (a GPU, or Mesa llvmpipe through OpenGL ES), the counters see what
// tfjs-backend-webgpu really issues. Elsewhere the set-up error says what is missing and these tests are skipped.
let dawn: DawnWebGpu | undefined;
let why = '';
try {
  dawn = await useDawnWebGpu();
} catch (err) {
  if (!(err instanceof GpuSetupError)) throw err;
  why = err.message;
}

describe.skipIf(!dawn)(`GPU counters on Dawn ${why ? `(skipped: ${why})` : ''}`, () => {
  it('counts one dispatch per GPU kernel, none for a reshape, and one readback per data()', { timeout: 120_000 }, async () => {
    // tests/setup.ts switches every file to the CPU backend before its tests: back to Dawn here.
    expect(await tf.setBackend('webgpu')).toBe(true);
    const counters = dawn!.counters;
    // Large enough that tfjs does not forward the op to the CPU (WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD is 1000).
    const a = tf.fill([64, 64], 1.5);
    const b = tf.fill([64, 64], 2);
    const warm = tf.add(a, b);
    await warm.data();
    warm.dispose();
    const c0 = counters.read();
    const sum = tf.add(a, b);
    const twice = tf.mul(sum, 2);
    const flat = tf.reshape(twice, [4096]);
    const c1 = counters.read();
    const values = await flat.data();
    const c2 = counters.read();
    expect(values[0]).toBe(7);
    expect(values[4095]).toBe(7);
    expect(countsBetween(c0, c1).dispatches).toBe(2);
    expect(countsBetween(c1, c2)).toMatchObject({ dispatches: 0, readbacks: 1 });
    expect(countsBetween(c1, c2).submits).toBeGreaterThanOrEqual(1);
    tf.dispose([a, b, sum, twice, flat]);
  });
});
