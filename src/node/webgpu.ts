/**
 * WebGPU in Node for TensorFlow.js: Dawn's Node bindings (the `webgpu` npm package) as `navigator.gpu`, then
 * @tensorflow/tfjs-backend-webgpu on top — the same backend and shaders the browser app runs, without a browser.
 *
 * Which Dawn backend: 'auto' tries Dawn's platform default first (Vulkan on Linux, a real GPU) and falls back to
 * Dawn's OpenGL ES backend over EGL, which runs on Mesa's llvmpipe software rasteriser where no GPU is present
 * (Dawn refuses Mesa's software Vulkan, lavapipe, for a missing shaderUniform*ArrayDynamicIndexing feature). The
 * OpenGL ES adapter exists only in WebGPU's compatibility mode, so the adapter is requested with
 * `featureLevel: 'compatibility'` — also when tfjs-backend-webgpu asks for one (it does not say so itself): the
 * `navigator.gpu` installed here adds the feature level of the chosen backend to every adapter request. EGL needs
 * `EGL_PLATFORM=surfaceless` (no display) and a writable XDG_RUNTIME_DIR; both are set here when unset.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type GpuCounters, installGpuCounters } from './gpu-counters';

/** Which Dawn backend to use: 'auto' (default first, then OpenGL ES), or one of them only. */
export type DawnBackendChoice = 'auto' | 'default' | 'opengles';

/** A Dawn backend that was tried and gave an adapter. */
export type DawnBackend = 'default' | 'opengles';

/** What the adapter says about itself (WebGPU GPUAdapterInfo; empty strings where the driver says nothing). */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** GPUAdapterInfo.isFallbackAdapter (WebGPU's own "this is a software adapter" flag); undefined if not reported. */
  isFallbackAdapter: boolean | undefined;
  /** A software rasteriser by name or flag (llvmpipe, lavapipe, SwiftShader, softpipe, or isFallbackAdapter). */
  software: boolean;
}

export interface DawnWebGpu {
  backend: DawnBackend;
  featureLevel: 'core' | 'compatibility';
  adapter: AdapterSummary;
  /** One line per backend tried, in order (what failed and why, then what was used). */
  attempts: string[];
  /** Dispatch / submit / readback counters on Dawn's classes (see gpu-counters.ts). */
  counters: GpuCounters;
}

/** No usable WebGPU adapter, the `webgpu` package missing, or tfjs refusing the device; the message is one line. */
export class GpuSetupError extends Error {
  override name = 'GpuSetupError';
}

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Mesa libraries Dawn's OpenGL ES backend loads on Debian/Ubuntu, and the package that ships each. */
export const SOFTWARE_GL_LIBRARIES: readonly { file: string; pkg: string }[] = [
  // Dawn dlopens the unversioned name, which only the -dev package provides on Debian.
  { file: 'libEGL.so', pkg: 'libegl-dev' },
  { file: 'libEGL.so.1', pkg: 'libegl1' },
  { file: 'libEGL_mesa.so.0', pkg: 'libegl-mesa0' },
  { file: 'dri/swrast_dri.so', pkg: 'libgl1-mesa-dri' },
];

/** Library folders searched for SOFTWARE_GL_LIBRARIES: LD_LIBRARY_PATH, then the usual Debian/Fedora ones. */
export function libraryDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env['LD_LIBRARY_PATH'] ?? '').split(delimiter).filter(Boolean);
  return [...fromEnv, '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
}

/** The Debian packages of SOFTWARE_GL_LIBRARIES whose file is in none of `dirs` (by `exists`). */
export function missingGlPackages(dirs: readonly string[], exists: (path: string) => boolean = existsSync): string[] {
  return SOFTWARE_GL_LIBRARIES.filter(({ file }) => !dirs.some((d) => exists(join(d, file)))).map(({ pkg }) => pkg);
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader/i;

/** AdapterSummary of a Dawn adapter. */
export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const fallback = typeof info.isFallbackAdapter === 'boolean' ? info.isFallbackAdapter : (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const summary = {
    vendor: text(info.vendor),
    architecture: text(info.architecture),
    device: text(info.device),
    description: text(info.description),
    isFallbackAdapter: typeof fallback === 'boolean' ? fallback : undefined,
  };
  const software = fallback === true || SOFTWARE_NAMES.test(`${summary.vendor} ${summary.architecture} ${summary.device} ${summary.description}`);
  return { ...summary, software };
}

/** One line naming the adapter, e.g. "llvmpipe-llvm-15-… (OpenGL ES 3.2 Mesa 22.3.6), software, isFallbackAdapter false". */
export function describeAdapter(a: AdapterSummary): string {
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const parts = [`${name}${a.description ? ` (${a.description})` : ''}`, a.software ? 'software' : 'hardware'];
  parts.push(`isFallbackAdapter ${a.isFallbackAdapter === undefined ? 'not reported' : a.isFallbackAdapter}`);
  return parts.join(', ');
}

async function loadDawn(): Promise<DawnModule> {
  try {
    return (await import('webgpu')) as unknown as DawnModule;
  } catch (err) {
    throw new GpuSetupError(`cannot load Dawn (the 'webgpu' npm package): ${(err as Error).message.split('\n')[0]}`);
  }
}

function prepareEgl(): void {
  process.env['EGL_PLATFORM'] ??= 'surfaceless';
  if (!process.env['XDG_RUNTIME_DIR']) {
    const dir = mkdtempSync(join(tmpdir(), 'convlens-xdg-'));
    process.env['XDG_RUNTIME_DIR'] = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
}

interface Candidate {
  backend: DawnBackend;
  gpu: GPU;
  featureLevel: 'core' | 'compatibility';
  adapter: GPUAdapter;
}

async function tryBackend(dawn: DawnModule, backend: DawnBackend): Promise<Candidate | string> {
  const featureLevel = backend === 'opengles' ? 'compatibility' : 'core';
  try {
    if (backend === 'opengles') prepareEgl();
    const gpu = dawn.create(backend === 'opengles' ? ['backend=opengles'] : []);
    const options = { powerPreference: 'high-performance', featureLevel } as GPURequestAdapterOptions;
    const adapter = await gpu.requestAdapter(options);
    if (!adapter) return `${backend}: no adapter`;
    // A device must open too (an adapter alone does not prove the driver works); tfjs opens its own afterwards.
    const device = await adapter.requestDevice();
    device.destroy();
    const again = await gpu.requestAdapter(options);
    if (!again) return `${backend}: adapter gone after a test device`;
    return { backend, gpu, featureLevel, adapter: again };
  } catch (err) {
    return `${backend}: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** The one line printed when no backend gives an adapter: what was tried, and the packages to install. */
export function noAdapterMessage(attempts: readonly string[], missing: readonly string[]): string {
  const tried = attempts.join('; ');
  if (missing.length) {
    return `no WebGPU adapter (${tried}): for a GPU install its Vulkan driver; for software rendering (Mesa llvmpipe) install the missing Debian/Ubuntu packages: apt-get install ${missing.join(' ')}`;
  }
  return `no WebGPU adapter (${tried}): neither a Vulkan driver nor OpenGL ES through EGL worked`;
}

/**
 * Makes Dawn the `navigator.gpu` of this process (Dawn's classes and constants become globals too), registers
 * tfjs-backend-webgpu and switches tfjs to it. Call once, before any other tfjs work that should run on the GPU.
 * Throws GpuSetupError (one line: what was tried, which Debian packages are missing) when no backend gives an
 * adapter whose device opens.
 */
export async function useDawnWebGpu(choice: DawnBackendChoice = 'auto'): Promise<DawnWebGpu> {
  const dawn = await loadDawn();
  const order: DawnBackend[] = choice === 'auto' ? ['default', 'opengles'] : [choice];
  const attempts: string[] = [];
  let chosen: Candidate | undefined;
  for (const backend of order) {
    const result = await tryBackend(dawn, backend);
    if (typeof result === 'string') {
      attempts.push(result);
      continue;
    }
    chosen = result;
    break;
  }
  if (!chosen) throw new GpuSetupError(noAdapterMessage(attempts, missingGlPackages(libraryDirs())));
  const adapter = summarizeAdapter(chosen.adapter);
  attempts.push(`${chosen.backend}: ${describeAdapter(adapter)}`);

  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const { gpu, featureLevel } = chosen;
  const wrapped = {
    // tfjs asks with a power preference only; the chosen backend's feature level is added to every request.
    requestAdapter: (options?: GPURequestAdapterOptions) => gpu.requestAdapter({ ...options, featureLevel } as GPURequestAdapterOptions),
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    get wgslLanguageFeatures() {
      return gpu.wgslLanguageFeatures;
    },
  };
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: wrapped, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu: wrapped }, configurable: true, writable: true });
  const counters = installGpuCounters(dawn.globals as Parameters<typeof installGpuCounters>[0]);

  // The backend registers itself at import when navigator.gpu exists, so it is imported only now.
  await import('@tensorflow/tfjs-backend-webgpu');
  let ok: boolean;
  try {
    ok = await tf.setBackend('webgpu');
  } catch (err) {
    throw new GpuSetupError(`tfjs-backend-webgpu failed on ${describeAdapter(adapter)}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!ok || tf.getBackend() !== 'webgpu') throw new GpuSetupError(`tfjs-backend-webgpu did not start on ${describeAdapter(adapter)}`);
  return { backend: chosen.backend, featureLevel, adapter, attempts, counters };
}
