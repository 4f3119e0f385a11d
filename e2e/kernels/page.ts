import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { MODELS } from '../../src/core/models';
import { ConvNet, type Taps } from '../../src/core/network';
import { toModelInput } from '../../src/core/preprocess';
import { RELU6_GRAD_KERNEL, relu6GradComposed } from '../../src/core/relu6-grad';
import { maxAbsDiff as maxAbs, relL2 } from '../../tests/metrics';

/**
 * Runs in Chromium (served by Vite's dev server, see kernels.webgpu.spec.ts): the single-kernel ReLU6 gradient
 * and the fused gradient path on one backend, each against its reference on the same backend and against the
 * CPU backend. Exposed as window.kernelChecks(backend).
 */

export interface BackendReport {
  backend: string;
  /** Kernel vs the JS-computed dy·[0<y<6] (guided: max(·,0)) and vs the stock-op version, per case: max |diff|. */
  kernel: { name: string; vsExpected: number; vsComposed: number }[];
  /** Fused path vs composed path on this backend, and vs the composed path on CPU: relative L2. */
  gradients: { relu: string; fusedVsComposed: number; probeFusedVsComposed: number; fusedVsCpu: number; composedVsCpu: number; probeVsCpu: number }[];
  /** Grad-CAM's partial pass (from conv_pw_13_relu's activation to the espresso logit): fused vs composed here, and vs CPU. */
  partial: { fusedVsComposed: number; fusedVsCpu: number };
  /** Kernel names of one fused gradient pass, in order (the same list on every backend means the same dispatches). */
  fusedKernels: string[];
  top1: number;
}

async function kernelCases(): Promise<BackendReport['kernel']> {
  const out: BackendReport['kernel'] = [];
  // Odd shapes (packed WebGL textures with padding, scalar WGSL) and channels divisible by 4 (vec4 WGSL).
  for (const shape of [[2, 5, 7, 6], [1, 8, 8, 16], [3, 3, 1, 1]]) {
    const size = shape.reduce((a, b) => a * b, 1);
    const dyValues = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898) * 3);
    // Saturated units exactly at 0 and 6, units just inside the range, and everything between.
    const special = [0, 6, 5.9999995, 1e-7, 3, 0, 6];
    const yValues = Float32Array.from({ length: size }, (_, i) => (i % 3 === 0 ? special[i % special.length]! : Math.abs(Math.cos(i * 78.233)) * 6));
    for (const guided of [false, true]) {
      const dy = tf.tensor(dyValues, shape);
      const y = tf.tensor(yValues, shape);
      const viaKernel = tf.engine().runKernel(RELU6_GRAD_KERNEL, { dy, y }, { guided }) as tf.Tensor;
      const composed = relu6GradComposed(dy, y, guided);
      const expected = dyValues.map((g, i) => {
        const v = yValues[i]!;
        const r = v > 0 && v < 6 ? g : 0;
        return guided ? Math.max(r, 0) : r;
      });
      const got = await viaKernel.data();
      out.push({ name: `[${shape.join(',')}] ${guided ? 'guided' : 'plain'}`, vsExpected: maxAbs(got, expected), vsComposed: maxAbs(got, await composed.data()) });
      tf.dispose([dy, y, viaKernel, composed]);
    }
  }
  return out;
}

async function loadInput(): Promise<tf.Tensor4D> {
  const bitmap = await createImageBitmap(await (await fetch('/gallery/coffee.png')).blob());
  const pixels = tf.tidy(() => tf.browser.fromPixels(bitmap).toFloat() as tf.Tensor3D);
  bitmap.close();
  const { tensor } = toModelInput(pixels, 'stretch');
  pixels.dispose();
  return tensor;
}

interface Pass {
  gradient: Float32Array;
  probe: Float32Array;
}

async function pass(net: ConvNet, x: tf.Tensor4D, relu: 'plain' | 'guided', path: 'fused' | 'composed'): Promise<Pass> {
  const objective = (t: Taps): tf.Scalar => tf.sum(tf.max(t.logits!, 1));
  const probe = 'conv_pw_13_relu';
  const r = net.gradient(x, { logits: true, layers: ['conv_pw_3_relu'] }, objective, { relu, path, probes: [probe] });
  const result = { gradient: (await r.gradient.data()) as Float32Array, probe: (await r.probeGradients[probe]!.data()) as Float32Array };
  tf.dispose([r.value, r.gradient, r.probeGradients[probe]!, r.taps.logits!, ...Object.values(r.taps.activations)]);
  return result;
}

/** ∂logit(espresso)/∂A at conv_pw_13_relu, A from a fused forward pass: the pass Grad-CAM makes. */
async function partialPass(net: ConvNet, x: tf.Tensor4D, path: 'fused' | 'composed'): Promise<Float32Array> {
  const layer = 'conv_pw_13_relu';
  const forward = net.run(x, { layers: [layer] });
  const activation = forward.activations[layer]!;
  const r = net.gradient(activation as tf.Tensor4D, { logits: true }, (t) => tf.sum(tf.slice(t.logits!, [0, 967], [1, 1])), { from: layer, path });
  const gradient = (await r.gradient.data()) as Float32Array;
  tf.dispose([r.value, r.gradient, r.taps.logits!, activation]);
  return gradient;
}

async function onBackend<T>(backend: string, fn: (net: ConvNet, x: tf.Tensor4D) => Promise<T>): Promise<T> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} is not available`);
  const net = await ConvNet.load(`/models/${MODELS.lite.dir}/model.json`);
  const x = await loadInput();
  try {
    return await fn(net, x);
  } finally {
    x.dispose();
    net.dispose();
  }
}

async function kernelChecks(backend: string): Promise<BackendReport> {
  const reference = await onBackend('cpu', async (net, x) => ({
    plain: await pass(net, x, 'plain', 'composed'),
    guided: await pass(net, x, 'guided', 'composed'),
    partial: await partialPass(net, x, 'composed'),
  }));
  return onBackend(backend, async (net, x) => {
    const gradients: BackendReport['gradients'] = [];
    for (const relu of ['plain', 'guided'] as const) {
      const fused = await pass(net, x, relu, 'fused');
      const composed = await pass(net, x, relu, 'composed');
      gradients.push({
        relu,
        fusedVsComposed: relL2(fused.gradient, composed.gradient),
        probeFusedVsComposed: relL2(fused.probe, composed.probe),
        fusedVsCpu: relL2(fused.gradient, reference[relu].gradient),
        composedVsCpu: relL2(composed.gradient, reference[relu].gradient),
        probeVsCpu: relL2(fused.probe, reference[relu].probe),
      });
    }
    const fusedPartial = await partialPass(net, x, 'fused');
    const partial = { fusedVsComposed: relL2(fusedPartial, await partialPass(net, x, 'composed')), fusedVsCpu: relL2(fusedPartial, reference.partial) };
    const profile = await tf.profile(async () => {
      const r = net.gradient(x, { logits: true }, (t) => tf.sum(tf.max(t.logits!, 1)));
      await r.gradient.data();
      tf.dispose([r.value, r.gradient, r.taps.logits!]);
    });
    const logits = net.run(x, { logits: true }).logits!;
    const top1 = (await tf.argMax(logits, 1).data())[0]!;
    logits.dispose();
    return { backend: tf.getBackend(), kernel: await kernelCases(), gradients, partial, fusedKernels: profile.kernels.map((k) => k.name), top1 };
  });
}

async function cpuKernels(): Promise<string[]> {
  return onBackend('cpu', async (net, x) => {
    const profile = await tf.profile(async () => {
      const r = net.gradient(x, { logits: true }, (t) => tf.sum(tf.max(t.logits!, 1)));
      await r.gradient.data();
      tf.dispose([r.value, r.gradient, r.taps.logits!]);
    });
    return profile.kernels.map((k) => k.name);
  });
}

declare global {
  interface Window {
    kernelChecks: typeof kernelChecks;
    cpuKernels: typeof cpuKernels;
  }
}
window.kernelChecks = kernelChecks;
window.cpuKernels = cpuKernels;
