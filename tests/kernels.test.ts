import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { LIVE_KERNEL_VIEWS, countFrameKernels, liveSettings } from '../bench/kernel-count';
import { type AttributionMap, SMOOTHGRAD_DEFAULTS, gradCam, gradCamPass, guidedBackprop, saliency, saliencyPass, smoothGrad } from '../src/core/attribution';
import { noisyCopies } from '../src/core/attribution/gradient';
import { DEFAULT_LIVE_SETTINGS, LivePipeline } from '../src/core/live/pipeline';
import type { ModelId } from '../src/core/models';
import { type ConvNet, type GradientOptions, type GradientPath, type TapObjective, type TapRequest, disposeTaps } from '../src/core/network';
import { imageToModelInput, imageToTensor } from '../src/core/preprocess';
import { RELU6_GRAD_KERNEL, relu6GradComposed } from '../src/core/relu6-grad';
import { modelInput, net, sharedImage } from './helpers';
import { relL2 as relativeL2 } from './metrics';

/**
 * Issue 13: the fused gradient path (one custom-gradient op per run of conv blocks, one ReLU6-gradient kernel per
 * block) keeps a live gradient frame under 150 kernels (+ ≤ 30 Identity) and gives the composed path's gradients.
 */

const GOAL = { nonIdentity: 150, identity: 30 };

function relL2(a: tf.Tensor, b: tf.Tensor): number {
  return relativeL2(a.dataSync(), b.dataSync());
}

const topObjective: TapObjective = (t) => tf.sum(tf.max(t.logits!, 1));
const ESPRESSO = 967;
const LIVE_TAPS: TapRequest = { layers: [DEFAULT_LIVE_SETTINGS.layer], probabilities: true };

interface Case {
  name: string;
  /** Input batch from the clean coffee input (or, with `from`, from its activation there). */
  batch: (x: tf.Tensor4D) => tf.Tensor4D;
  request: TapRequest;
  objective: TapObjective;
  options: GradientOptions;
}

/**
 * Network-level passes of the kinds the live gradient views make (saliencyPass: one image with taps, or the clean
 * image + noisy copies in one batch; gradCamPass: a partial pass from conv_pw_13_relu's activation), plus probes
 * (network.test's Grad-CAM-style probe) and a target read from a probed tap.
 */
const cases = (model: ConvNet, noisy: number): Case[] => [
  { name: 'saliency (plain), live taps', batch: (x) => x.clone(), request: { ...LIVE_TAPS, logits: true }, objective: topObjective, options: {} },
  { name: 'saliency (guided), live taps', batch: (x) => x.clone(), request: { ...LIVE_TAPS, logits: true }, objective: topObjective, options: { relu: 'guided' } },
  {
    name: `clean + ${noisy} noisy copies in one batch (live SmoothGrad's pass)`,
    batch: (x) => tf.tidy(() => tf.concat([x, tf.add(tf.tile(x, [noisy, 1, 1, 1]), tf.randomNormal([noisy, 224, 224, 3], 0, 0.3, 'float32', 7))]) as tf.Tensor4D),
    request: { ...LIVE_TAPS, logits: true },
    objective: (t) => tf.sum(tf.slice(tf.slice(t.logits!, [0, ESPRESSO], [-1, 1]), [1, 0], [-1, 1])),
    options: {},
  },
  {
    name: "from conv_pw_13_relu's activation (Grad-CAM's partial pass)",
    batch: (x) => {
      const taps = model.run(x, { layers: ['conv_pw_13_relu'] });
      return taps.activations['conv_pw_13_relu'] as tf.Tensor4D;
    },
    request: { logits: true },
    objective: (t) => tf.sum(tf.slice(t.logits!, [0, ESPRESSO], [1, 1])),
    options: { from: 'conv_pw_13_relu' },
  },
  {
    name: 'probe at conv_pw_13_relu',
    batch: (x) => x.clone(),
    request: { layers: ['conv_pw_3_relu', 'conv_pw_13_relu'], logits: true, probabilities: true, features: true },
    objective: topObjective,
    options: { probes: ['conv_pw_13_relu'] },
  },
  {
    // The objective reads a tapped layer that is also probed: the probe gets all gradient arriving there.
    name: 'channel target read from a probed tap, guided',
    batch: (x) => x.clone(),
    request: { layers: ['conv_pw_7_relu', 'conv_dw_9_relu'] },
    objective: (t) => tf.add(tf.sum(tf.slice(t.activations['conv_dw_9_relu']!, [0, 0, 0, 5], [-1, -1, -1, 1])), tf.mean(t.activations['conv_pw_7_relu']!)) as tf.Scalar,
    options: { relu: 'guided', probes: ['conv_pw_7_relu'] },
  },
];

interface PassResult {
  gradient: tf.Tensor;
  probes: Record<string, tf.Tensor>;
  value: number;
  taps: tf.Tensor[];
}

function pass(model: ConvNet, x: tf.Tensor4D, c: Case, path: GradientPath): PassResult {
  const batch = c.batch(x);
  const r = model.gradient(batch, c.request, c.objective, { ...c.options, path });
  batch.dispose();
  const value = r.value.dataSync()[0]!;
  r.value.dispose();
  const taps = [...Object.values(r.taps.activations), r.taps.logits, r.taps.probabilities, r.taps.features].filter((t): t is tf.Tensor => t !== undefined);
  return { gradient: r.gradient, probes: r.probeGradients, value, taps };
}

function disposePass(p: PassResult): void {
  tf.dispose([p.gradient, ...Object.values(p.probes), ...p.taps]);
}

describe('ConvLensRelu6Grad kernel (CPU)', () => {
  it('is dy·[0<y<6] (guided: max(·, 0)) exactly, saturated units at 0 and 6 included, as the stock-op version', () => {
    const shape = [2, 5, 7, 6];
    const size = 2 * 5 * 7 * 6;
    const dyValues = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898) * 3);
    const special = [0, 6, 5.9999995, 1e-7, 3];
    const yValues = Float32Array.from({ length: size }, (_, i) => (i % 2 === 0 ? special[i % special.length]! : Math.abs(Math.cos(i * 78.233)) * 6));
    const dy = tf.tensor(dyValues, shape);
    const y = tf.tensor(yValues, shape);
    for (const guided of [false, true]) {
      const got = tf.engine().runKernel(RELU6_GRAD_KERNEL, { dy, y }, { guided }) as tf.Tensor;
      const composed = relu6GradComposed(dy, y, guided);
      const values = got.dataSync();
      let masked = 0;
      for (let i = 0; i < size; i++) {
        const v = yValues[i]!;
        const r = v > 0 && v < 6 ? dyValues[i]! : 0;
        expect(values[i]).toBe(guided ? Math.max(r, 0) : r);
        if (v === 0 || v === 6) masked++;
      }
      expect(masked).toBe(84); // the saturated cases were exercised: y = 0 at i ≡ 0, y = 6 at i ≡ 6 (mod 10)
      // Equal as numbers (the stock version's 0·dy gives −0 where dy < 0, the kernel +0).
      const reference = composed.dataSync();
      expect(Math.max(...Array.from(values, (v, i) => Math.abs(v - reference[i]!)))).toBe(0);
      tf.dispose([got, composed]);
    }
    const wrong = tf.zeros([3]);
    expect(() => tf.engine().runKernel(RELU6_GRAD_KERNEL, { dy, y: wrong }, { guided: false })).toThrow(/differ in shape/);
    tf.dispose([dy, y, wrong]);
  });
});

describe('kernels per live gradient frame (issue 13 goal: ≤ 150 non-Identity, ≤ 30 Identity)', () => {
  for (const id of ['lite', 'standard'] as ModelId[]) {
    it(`every gradient view of the ${id} model`, { timeout: id === 'lite' ? 120_000 : 300_000 }, async () => {
      const model = await net(id);
      const pixels = imageToTensor(sharedImage('coffee.png'));
      const counts: Record<string, { kernels: number; identity: number }> = {};
      for (const view of LIVE_KERNEL_VIEWS.filter((v) => v.gradient)) {
        const counted = await countFrameKernels(model, pixels, view, 'fused');
        counts[view.name] = { kernels: counted.kernels, identity: counted.identity };
        expect(counted.kernels - counted.identity, view.name).toBeLessThanOrEqual(GOAL.nonIdentity);
        expect(counted.identity, view.name).toBeLessThanOrEqual(GOAL.identity);
        const byName = new Map(counted.byName);
        // Saliency views go back to the pixels: one ReLU6-gradient kernel per ReLU6 unit (27 in MobileNet v1).
        // Grad-CAM's partial pass starts after conv_pw_13_relu, where only the linear conv_preds remains.
        expect(byName.get(RELU6_GRAD_KERNEL) ?? 0, view.name).toBe(view.name === 'Grad-CAM' ? 0 : 27);
        for (const stock of ['ClipByValue', 'Select', 'LogicalAnd', 'ZerosLike', 'GreaterEqual', 'LessEqual', 'Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter']) {
          // One ZerosLike is tfjs's own (the tape's seed for a tensor without gradient), not a ReLU6 mask.
          expect(byName.get(stock) ?? 0, `${view.name}: ${stock}`).toBeLessThanOrEqual(stock === 'ZerosLike' ? 1 : 0);
        }
      }
      console.log(`${id}: ${JSON.stringify(counts)}`);
      if (id === 'lite') {
        // The composed reference of the same frame runs several times as many (issue 13's table: 532 for vanilla).
        const composed = await countFrameKernels(model, pixels, LIVE_KERNEL_VIEWS.find((v) => v.name === 'saliency (vanilla)')!, 'composed');
        expect(composed.kernels).toBeGreaterThan(3 * counts['saliency (vanilla)']!.kernels);
      }
      pixels.dispose();
    });
  }
});

describe('fused gradient path equals the composed reference (relative L2 ≤ 1e-5)', () => {
  for (const id of ['lite', 'standard'] as ModelId[]) {
    it(`input, probe and partial-pass gradients, ${id} model`, { timeout: id === 'lite' ? 120_000 : 300_000 }, async () => {
      const model = await net(id);
      const x = modelInput('coffee.png').tensor;
      const before = tf.memory().numTensors;
      // The standard model runs the cases that differ in kind (plain/guided, partial pass, probe), the lite all.
      const all = cases(model, 4);
      const run = id === 'lite' ? all : all.filter((_, k) => k === 1 || k === 3 || k === 4);
      for (const c of run) {
        const fused = pass(model, x, c, 'fused');
        const composed = pass(model, x, c, 'composed');
        expect(relL2(fused.gradient, composed.gradient), c.name).toBeLessThanOrEqual(1e-5);
        expect(fused.value).toBeCloseTo(composed.value, 4);
        expect(Object.keys(fused.probes)).toEqual(c.options.probes ?? []);
        for (const name of c.options.probes ?? []) {
          expect(fused.probes[name]!.shape).toEqual(composed.probes[name]!.shape);
          expect(relL2(fused.probes[name]!, composed.probes[name]!), `${c.name}: probe ${name}`).toBeLessThanOrEqual(1e-5);
        }
        expect(fused.taps.map((t) => t.shape)).toEqual(composed.taps.map((t) => t.shape));
        fused.taps.forEach((t, k) => expect(relL2(t, composed.taps[k]!), `${c.name}: tap ${k}`).toBeLessThanOrEqual(1e-6));
        // Not a vacuous comparison of two zero gradients.
        expect(tf.tidy(() => tf.max(tf.abs(fused.gradient)).dataSync()[0])).toBeGreaterThan(0);
        disposePass(fused);
        disposePass(composed);
      }
      expect(tf.memory().numTensors).toBe(before); // nothing kept for the backward pass outlives it
      x.dispose();
    });
  }

  it('the attribution methods give the same maps on either path (saliency, guided, SmoothGrad, Grad-CAM)', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const target = { kind: 'class', index: ESPRESSO } as const;
    const smooth = smoothGrad(saliency);
    const methods: [string, () => Promise<AttributionMap>][] = [
      ['saliency', () => saliency(model, input, { target })],
      ['guided', () => guidedBackprop(model, input, { target })],
      ['smoothgrad (4 samples, 2 per pass)', () => smooth(model, input, { target, samples: 4, batchSize: 2 })],
      ['gradcam', () => gradCam(model, input, { target })],
    ];
    for (const [name, method] of methods) {
      model.gradientPath = 'composed';
      const reference = await method();
      model.gradientPath = 'fused';
      const fused = await method();
      expect(Math.max(...fused.data), name).toBeGreaterThan(0);
      const diff = tf.tidy(() => relL2(tf.tensor(fused.data), tf.tensor(reference.data)));
      expect(diff, name).toBeLessThanOrEqual(1e-5);
    }
    input.tensor.dispose();
  });

  for (const id of ['lite', 'standard'] as ModelId[]) {
    it(`every live gradient view gives the same map on either path (lite: also the frame's heatmap and top-5, and a fused frame leaks nothing) (${id})`, { timeout: id === 'lite' ? 120_000 : 300_000 }, async () => {
      const model = await net(id);
      const pipeline = new LivePipeline(model);
      const pixels = imageToTensor(sharedImage('coffee.png'));
      const input = imageToModelInput(sharedImage('coffee.png'), 'center-crop').tensor;
      // The standard model's live SmoothGrad batch has units exactly at 0 or 6, where the two paths' ReLU6
      // derivatives differ by convention: the test 'at exact ReLU6 ties …' below covers that batch.
      for (const view of LIVE_KERNEL_VIEWS.filter((v) => v.gradient && (id === 'lite' || v.name !== 'SmoothGrad'))) {
        const settings = liveSettings(view);
        // The maps before the display rule, from the calls the pipeline makes (LivePipeline.process).
        const raw = async (): Promise<tf.Tensor2D> => {
          const request: TapRequest = { layers: [settings.layer], probabilities: true, features: settings.features };
          if (settings.view === 'gradcam') {
            const cam = await gradCamPass(model, input, { target: 'top', taps: request });
            cam.cam.dispose();
            disposeTaps(cam.taps);
            return cam.map;
          }
          const result = await saliencyPass(model, input, {
            target: 'top',
            rule: settings.saliency === 'guided' ? 'guided' : 'plain',
            taps: request,
            ...(settings.saliency === 'smoothgrad' ? { smoothing: { ...SMOOTHGRAD_DEFAULTS, samples: settings.smoothSamples }, batchSize: settings.smoothSamples } : {}),
          });
          disposeTaps(result.taps);
          return result.map;
        };
        model.gradientPath = 'composed';
        const referenceMap = await raw();
        model.gradientPath = 'fused';
        const fusedMap = await raw();
        expect(tf.tidy(() => tf.max(fusedMap).dataSync()[0]), view.name).toBeGreaterThan(0);
        expect(relL2(fusedMap, referenceMap), `${view.name}: raw map`).toBeLessThanOrEqual(1e-5);
        tf.dispose([fusedMap, referenceMap]);
        // The whole frame (display rule, top-5, memory) on the lite model; the standard model's frames take too long here.
        if (id !== 'lite') continue;
        model.gradientPath = 'composed';
        const reference = await pipeline.process(pixels, settings);
        model.gradientPath = 'fused';
        const before = tf.memory().numTensors;
        const fused = await pipeline.process(pixels, settings);
        expect(tf.memory().numTensors, view.name).toBe(before);
        expect(fused.top5).toEqual(reference.top5);
        const diff = tf.tidy(() => relL2(tf.tensor(fused.heatmap!.data), tf.tensor(reference.heatmap!.data)));
        expect(diff, `${view.name}: heatmap`).toBeLessThanOrEqual(1e-5);
      }
      pipeline.dispose();
      tf.dispose([pixels, input]);
    });
  }

  it('at exact ReLU6 ties (pre-activation exactly 0 or 6) follows the rule 0 < x < 6; elsewhere today\'s composed path exactly (standard, a live SmoothGrad copy)', { timeout: 300_000 }, async () => {
    // The composed path's plain rule is tfjs's ClipByValue gradient, which passes the gradient at x = 0 and x = 6
    // (0 ≤ x ≤ 6); the guided rule and the fused path use ReLU6's derivative on its linear range, 0 < x < 6 (the
    // fused backward sees only the output y = clip(x, 0, 6), where x = 6 and x > 6 look the same). Both are valid
    // subgradients; they differ only at units sitting exactly on 0 or 6 in float32. The standard model's live
    // SmoothGrad batch (clean frame + SmoothGrad's seeded noisy copies 0-3) has such units: copies 1 and 3 have one
    // each, and copy 1's changes its gradient (measured: relative L2 3.1e-3; copy 3's tie gets no gradient anyway).
    // Here the clean frame (no ties) and copy 1.
    const model = await net('standard');
    const x = imageToModelInput(sharedImage('coffee.png'), 'center-crop').tensor;
    const batch = tf.tidy(() => tf.concat([x, noisyCopies(x, { ...SMOOTHGRAD_DEFAULTS, samples: 4 }, 1, 1)]) as tf.Tensor4D);
    const rows = batch.shape[0];
    // Exact ties per row, over every pre-activation of a ReLU6 (the batch-norm outputs; conv1 … conv_pw_13).
    const preActivations = model.layers.filter((l) => l.name.endsWith('_bn')).map((l) => l.name);
    expect(preActivations).toHaveLength(27);
    const forward = model.run(batch, { layers: preActivations });
    const ties = new Array<number>(rows).fill(0);
    for (const name of preActivations) {
      const values = forward.activations[name]!.dataSync();
      const perRow = values.length / rows;
      values.forEach((v, i) => {
        if (v === 0 || v === 6) ties[Math.floor(i / perRow)]!++;
      });
    }
    disposeTaps(forward);
    // Every row's score, so that every row has a gradient of its own.
    const objective: TapObjective = (t) => tf.sum(tf.slice(t.logits!, [0, ESPRESSO], [-1, 1]));
    const fused = model.gradient(batch, { logits: true }, objective, { path: 'fused' });
    const today = model.gradient(batch, { logits: true }, objective, { path: 'composed' });
    // The composed path with the strict derivative (a reluHook puts every ReLU6 on relu6Masked, 0 < x < 6).
    const strict = model.gradient(batch, { logits: true }, objective, { path: 'composed', reluHook: () => undefined });
    const row = (g: tf.Tensor, r: number): tf.Tensor => tf.slice(g, [r, 0, 0, 0], [1, -1, -1, -1]);
    const diffs: { ties: number; vsToday: number; vsStrict: number }[] = [];
    for (let r = 0; r < rows; r++) {
      const [f, t, st] = [row(fused.gradient, r), row(today.gradient, r), row(strict.gradient, r)];
      diffs.push({ ties: ties[r]!, vsToday: relL2(f, t), vsStrict: relL2(f, st) });
      tf.dispose([f, t, st]);
    }
    console.log(`ties per row and relative L2 of the fused gradient: ${JSON.stringify(diffs)}`);
    expect(diffs.map((d) => d.ties)).toEqual([0, 1]);
    for (const d of diffs) expect(d.vsStrict).toBeLessThanOrEqual(1e-5);
    expect(diffs[0]!.vsToday).toBeLessThanOrEqual(1e-5); // no tie: today's gradient
    expect(diffs[1]!.vsToday).toBeGreaterThan(1e-5); // the tie passes gradient on today's plain path only
    for (const r of [fused, today, strict]) {
      tf.dispose([r.value, r.gradient]);
      disposeTaps(r.taps);
    }
    tf.dispose([batch, x]);
  });

  it('releases what it kept when the objective throws, and a reluHook runs on the composed path with the same result', async () => {
    const model = await net('lite');
    const x = modelInput('coffee.png').tensor;
    const before = tf.memory().numTensors;
    expect(() =>
      model.gradient(x, { layers: ['conv_pw_5_relu'], logits: true }, () => {
        throw new Error('objective failed');
      }),
    ).toThrow('objective failed');
    expect(tf.memory().numTensors).toBe(before);
    const seen = new Set<string>();
    const hooked = model.gradient(x, { logits: true }, topObjective, { relu: 'guided', reluHook: (layer) => seen.add(layer) });
    const fused = model.gradient(x, { logits: true }, topObjective, { relu: 'guided', path: 'fused' });
    expect(seen.size).toBe(27);
    expect(relL2(fused.gradient, hooked.gradient)).toBeLessThanOrEqual(1e-5);
    for (const r of [hooked, fused]) {
      tf.dispose([r.value, r.gradient]);
      disposeTaps(r.taps);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
