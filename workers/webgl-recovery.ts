import * as tf from '@tensorflow/tfjs';
import type { BackendName } from './protocol';

/**
 * WebGL context loss in the worker. TensorFlow.js 4.22's WebGL backend draws on an OffscreenCanvas it creates
 * itself; when that context is lost (driver reset, GPU process crash, too many contexts, or WEBGL_lose_context) it
 * only forgets the cached context (canvas_util.ts) — the backend keeps its textures and programs from the dead
 * context and every op fails afterwards. The recipe, mirroring WebGPU device loss (webgpu-recovery.ts): listen
 * for `webglcontextlost` on the backend's canvas; on loss replace the 'webgl' backend with a new MathBackendWebGL
 * (which asks canvas_util for a context and so gets a fresh canvas), switch to it, and rebuild the model.
 */

/** The live context of the current 'webgl' backend, if that is the backend in use. */
function currentContext(): WebGLRenderingContext | WebGL2RenderingContext | undefined {
  if (tf.getBackend() !== 'webgl') return undefined;
  return (tf.backend() as tf.MathBackendWebGL).gpgpu.gl;
}

/**
 * Calls `lost` once when the context behind the current 'webgl' backend is lost. A loss of a context that is no
 * longer the backend's (replaced meanwhile) is ignored.
 */
export function watchWebGL(backend: BackendName, lost: (reason: string) => void): void {
  const gl = backend === 'webgl' ? currentContext() : undefined;
  if (!gl) return;
  const canvas = gl.canvas as EventTarget;
  canvas.addEventListener(
    'webglcontextlost',
    (event) => {
      event.preventDefault(); // allows a restore; the new backend does not wait for one
      if (tf.findBackend('webgl') && (tf.findBackend('webgl') as tf.MathBackendWebGL).gpgpu?.gl !== gl) return;
      const message = (event as Event & { statusMessage?: string }).statusMessage;
      lost(`WebGL context lost${message ? `: ${message}` : ''}`);
    },
    { once: true },
  );
}

/**
 * Replaces the 'webgl' backend with a new one on a fresh context and switches to it; resolves false when WebGL no
 * longer starts (the caller falls back). The caller has disposed every tensor of the old backend.
 */
export async function recreateWebGL(): Promise<boolean> {
  try {
    tf.removeBackend('webgl'); // disposes the old backend; its GL calls on the lost context are no-ops
  } catch {
    // the old backend stays registered and broken: registerBackend would refuse a new one, so fall back
    return false;
  }
  tf.registerBackend('webgl', () => new tf.MathBackendWebGL(), 2);
  return tf.setBackend('webgl');
}

/** Test/operator hook: loses the current WebGL backend's context the way a driver reset does (WEBGL_lose_context). */
export function loseWebGLContext(): void {
  const gl = currentContext();
  if (!gl) throw new Error(`context-loss needs the webgl backend (now ${tf.getBackend()})`);
  const extension = gl.getExtension('WEBGL_lose_context');
  if (!extension) throw new Error('this WebGL context has no WEBGL_lose_context extension');
  extension.loseContext();
}
