/**
 * The browser part of `npm run bench:table` (bench/table.bench.ts): built with Vite into its own folder, opened in
 * headless Chromium, it times live frames (`LivePipeline.process`, readbacks included) on one tfjs backend — WebGL
 * on SwiftShader in the benchmark — for each gradient path in turns, with the same views and the same timing loop
 * as the Node part (bench/kernel-count.ts). Exposes `window.tableBench`.
 */
import * as tf from '@tensorflow/tfjs';
import { MODELS, type ModelId } from '../../src/core/models';
import { ConvNet, type GradientPath } from '../../src/core/network';
import { imageToTensor } from '../../src/core/preprocess';
import { LIVE_KERNEL_VIEWS, medianFrameMs } from '../kernel-count';

/** What `setup` found: the tfjs backend in use and, for WebGL, the renderer the browser reports. */
export interface PageSetup {
  backend: string;
  /** UNMASKED_RENDERER_WEBGL, e.g. "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) …))"; '' if unknown. */
  renderer: string;
}

/** Median wall ms per frame of one view, per gradient path. */
export type PageTimes = Partial<Record<GradientPath, number>>;

let state: { net: ConvNet; pixels: tf.Tensor3D } | undefined;

function webglRenderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
}

/** The gallery's coffee picture as [H, W, 3] in 0..255 (float32), decoded like the Node part's (RGBA → imageToTensor). */
async function coffee(): Promise<tf.Tensor3D> {
  const bitmap = await createImageBitmap(await (await fetch('/gallery/coffee.png')).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { width, height, data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return imageToTensor({ width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

/** Switches tfjs to `backend` (throws if it does not start), loads `model` and the picture. */
async function setup(backend: string, model: ModelId): Promise<PageSetup> {
  if (!(await tf.setBackend(backend)) || tf.getBackend() !== backend) throw new Error(`tfjs backend ${backend} did not start`);
  tf.enableProdMode();
  state = { net: await ConvNet.load(`/models/${MODELS[model].dir}/model.json`), pixels: await coffee() };
  return { backend: tf.getBackend(), renderer: backend === 'webgl' ? webglRenderer() : '' };
}

/** Median wall ms per frame of the live view named `view` (LIVE_KERNEL_VIEWS) over `frames` frames, `paths` in turns. */
async function time(view: string, frames: number, paths: readonly GradientPath[]): Promise<PageTimes> {
  if (!state) throw new Error('setup() first');
  const v = LIVE_KERNEL_VIEWS.find((x) => x.name === view);
  if (!v) throw new Error(`no live view named '${view}'`);
  const ms = await medianFrameMs(state.net, state.pixels, v, frames, paths);
  return Object.fromEntries(paths.map((p) => [p, ms[p].wallMs]));
}

declare global {
  interface Window {
    tableBench: { setup: typeof setup; time: typeof time };
  }
}
window.tableBench = { setup, time };
