import type { Plugin } from 'vite';

/** The line of tfjs-backend-wasm 4.x (dist/backend_wasm.js) that hands its pthread workers the factory's source. */
const FACTORY_SOURCE = /`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)/;

/**
 * Makes the TensorFlow.js WASM backend's threads survive minification.
 *
 * Its threaded build starts each pthread worker from a blob: script made of `wasmFactoryThreadedSimd.toString()`
 * — the Emscripten factory's own source text, re-evaluated in the worker. Bundled and minified, that function's text
 * refers to renamed outer-scope names which do not exist in the worker ("ReferenceError: e is not defined" from
 * every pthread here; the package is documented as not minifier-safe: tensorflow/tfjs issues 4253, 4539). This
 * plugin hands the workers the factory's original file instead (`wasm-out/tfjs-backend-wasm-threaded-simd.js`,
 * imported as text, unminified), which defines the same global `WasmBackendModuleThreadedSimd`. The main thread still
 * runs the bundled copy: both come from the same package version. Fails the build when the line is not found
 * (another tfjs version), rather than shipping workers that die.
 */
export function wasmThreadsMinifySafe(): Plugin {
  return {
    name: 'convlens-wasm-threads-minify-safe',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/.test(id.split('?')[0]!)) return undefined;
      if (!FACTORY_SOURCE.test(code)) this.error('tfjs-backend-wasm: the pthread factory line changed (see config/wasm-threads.ts); threads would break when minified');
      const replaced = code.replace(FACTORY_SOURCE, 'threadedSimdFactorySource');
      return { code: `import threadedSimdFactorySource from '../wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';\n${replaced}`, map: null };
    },
  };
}
