import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { BackendName, Simulation } from './protocol';
import { loseWebGLContext, recreateWebGL } from './webgl-recovery';

/**
 * WebGPU device loss in the worker. TensorFlow.js 4.22 does not handle it: after a loss every op fails ("Device
 * was lost before mapping…"). The recipe that works (project notes): watch `device.lost`; on loss request a new
 * adapter and device, replace the 'webgpu' backend with one built on the new device, switch to it, and rebuild
 * the model's weights. When no new device can be had, fall back to WebGL, then CPU.
 */

function currentDevice(): GPUDevice | undefined {
  return tf.getBackend() === 'webgpu' ? (tf.backend() as WebGPUBackend).device : undefined;
}

/** Calls `lost` once when the device behind the current 'webgpu' backend is lost (for any reason). */
export function watchWebGPU(backend: BackendName, lost: (reason: string) => void): void {
  const device = backend === 'webgpu' ? currentDevice() : undefined;
  if (!device) return;
  void device.lost.then((info) => lost(`${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''}`));
}

/** A device with the same features and limits TensorFlow.js asks for when it registers 'webgpu' itself. */
async function requestDevice(): Promise<{ device: GPUDevice; info: GPUAdapterInfo | undefined }> {
  if (!('gpu' in navigator)) throw new Error('no WebGPU in this browser');
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  if (adapter.features.has('bgra8unorm-storage')) requiredFeatures.push('bgra8unorm-storage');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  return { device, info: (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info };
}

/**
 * Brings a backend up after `lost` went away: a new WebGPU backend on a fresh device, or a new WebGL backend on a
 * fresh context (webgl-recovery.ts), else a fallback (WebGL, then CPU).
 * The caller has disposed every tensor of the old backend and rebuilds the model afterwards.
 */
export async function recreateBackend(lost: BackendName): Promise<BackendName> {
  if (lost === 'webgpu') {
    try {
      const { device, info } = await requestDevice();
      tf.removeBackend('webgpu');
      tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 3);
      if (await tf.setBackend('webgpu')) return 'webgpu';
    } catch {
      // fall back below
    }
  }
  if (lost === 'webgl') {
    try {
      if (await recreateWebGL()) return 'webgl';
    } catch {
      // fall back below
    }
  }
  for (const name of ['webgl', 'cpu'] as const) {
    if (name === lost) continue;
    try {
      if (await tf.setBackend(name)) return name;
    } catch {
      // next
    }
  }
  throw new Error(`no backend could be started after losing ${lost}`);
}

/**
 * Test/operator hook. 'device-loss' destroys the real device under the current WebGPU backend (the same
 * `device.lost` path a driver reset takes); 'context-loss' loses the WebGL backend's context through
 * WEBGL_lose_context (the `webglcontextlost` path); 'crash' throws an uncaught error from a timer, which reaches the
 * page as the worker's `error` event.
 */
export function simulate(what: Simulation): void {
  if (what === 'crash') {
    setTimeout(() => {
      throw new Error('simulated worker crash (test hook)');
    });
    return;
  }
  if (what === 'context-loss') {
    loseWebGLContext();
    return;
  }
  const device = currentDevice();
  if (!device) throw new Error(`device-loss needs the webgpu backend (now ${tf.getBackend()})`);
  device.destroy();
}
