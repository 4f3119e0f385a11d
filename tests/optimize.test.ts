import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnknownLayerError } from '../src/core/errors';
import type { ConvNet } from '../src/core/network';
import { optimize, type OptimizeSpec } from '../src/core/optimize/engine';
import {
  channelMean,
  classLogit,
  crossEntropy,
  featureDistance,
  logitMargins,
  neuron,
  type Objective,
} from '../src/core/optimize/objectives';
import { l2Ball, linfBall, pixelRange } from '../src/core/optimize/projections';
import { clipSmallContribution, gaussianBlur, jitter, l2Penalty, totalVariation } from '../src/core/optimize/regularisers';
import { adam, normalizedAscent, signAscent, type StepRule } from '../src/core/optimize/steps';
import { evaluate, visualizeClass } from '../src/core/optimize/visualize';
import { l2Pixels, linfPixels, modelInput, net } from './helpers';

/** The one optimisation loop on the real lite model: objectives, projections, memory, cancel, determinism. */


/** Wraps an objective to count the differentiable passes that evaluate it. */
function counted(objective: Objective, onCall?: (n: number) => void): Objective & { calls: number } {
  const wrapped = {
    ...objective,
    calls: 0,
    value: (taps: Parameters<Objective['value']>[0]) => {
      wrapped.calls++;
      onCall?.(wrapped.calls);
      return objective.value(taps);
    },
  };
  return wrapped;
}

describe('optimisation engine (lite model)', () => {
  it('each objective rises over the steps, reading only the taps it needs', async () => {
    const model = await net('lite');
    const photo = modelInput('chelsea.png').tensor;
    const taps = model.run(photo, { layers: ['conv_pw_3_relu'] });
    const features = taps.activations['conv_pw_3_relu']!;
    const cases: [string, Objective, OptimizeSpec['init']][] = [
      ['class logit', classLogit(model, 130), { kind: 'zeros' }],
      // A uniform grey image is a kink of the network (every position alike); units start from faint noise.
      ['channel mean', channelMean(model, 'conv_pw_5_relu', 10), { kind: 'noise', std: 0.1 }],
      ['neuron', neuron(model, 'conv_pw_5_relu', 10, { x: 14, y: 14 }), { kind: 'noise', std: 0.1 }],
      ['feature distance', featureDistance(model, 'conv_pw_3_relu', features), { kind: 'noise', std: 0.1 }],
      ['cross-entropy towards a class', crossEntropy(model, 9, 'towards'), photo],
      ['cross-entropy away from a class', crossEntropy(model, 285, 'away'), photo],
    ];
    expect(cases[0]![1].request).toEqual({ logits: true });
    expect(cases[1]![1].request).toEqual({ layers: ['conv_pw_5_bn'] }); // the ReLU's input: see preActivationOf
    for (const [name, objective, init] of cases) {
      const r = await optimize(model, {
        objective,
        init,
        steps: 5,
        stepRule: normalizedAscent(0.02),
        projections: [pixelRange()],
        normalizeGradient: true,
      });
      const end = await evaluate(model, objective, r.image);
      expect(r.values, name).toHaveLength(5);
      expect(end, name).toBeGreaterThan(r.values[0]! + 0.05 * Math.abs(r.values[0]!) + 1e-3);
      expect(r.values.at(-1)!, name).toBeGreaterThan(r.values[0]!);
      r.image.dispose();
    }
    tf.dispose([photo, features]);
  });

  it('keeps tf.memory().numTensors flat across steps and frees everything after', async () => {
    const model = await net('lite');
    const photo = modelInput('coffee.png').tensor;
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const r = await optimize(model, {
      objective: classLogit(model, 9),
      init: { kind: 'noise', std: 0.05 },
      steps: 4,
      stepRule: adam({ lr: 0.02 }),
      // Every kind of regulariser and projection in one run: transform, penalty, operators, ball.
      regularisers: [jitter(4), totalVariation(1), l2Penalty(0.1), gaussianBlur({ sigma: 0.5, every: 2 }), clipSmallContribution(10)],
      projections: [linfBall(photo, 16), pixelRange()],
      normalizeGradient: true,
      onProgress: () => counts.push(tf.memory().numTensors),
    });
    expect(counts).toHaveLength(4);
    expect(new Set(counts).size).toBe(1);
    r.image.dispose();
    expect(tf.memory().numTensors).toBe(before);
    photo.dispose();
  });

  it('every projection holds exactly after each step (‖δ‖∞ ≤ ε, ‖δ‖₂ ≤ ε in pixel levels)', async () => {
    const model = await net('lite');
    const photo = modelInput('motorcycle_left.png').tensor;
    const linf: number[] = [];
    const r = await optimize(model, {
      objective: crossEntropy(model, 9),
      init: photo,
      steps: 5,
      stepRule: signAscent(1.5 / 127.5),
      projections: [linfBall(photo, 4), pixelRange()],
      onProgress: ({ image }) => void linf.push(linfPixels(image, photo)),
    });
    expect(linf).toHaveLength(5);
    for (const d of linf) expect(d).toBeLessThanOrEqual(4);
    expect(Math.max(...linf)).toBeGreaterThan(3.99); // the constraint was active, not idle
    r.image.dispose();

    const l2: number[] = [];
    const r2 = await optimize(model, {
      objective: crossEntropy(model, 9),
      init: photo,
      steps: 4,
      stepRule: normalizedAscent(0.05),
      projections: [l2Ball(photo, 300), pixelRange()],
      onProgress: ({ image }) => void l2.push(tf.tidy(() => tf.norm(tf.mul(tf.sub(image, photo), 127.5)).dataSync()[0]!)),
    });
    expect(l2).toHaveLength(4);
    for (const d of l2) expect(d).toBeLessThanOrEqual(300);
    expect(await l2Pixels(r2.image, photo)).toBeLessThanOrEqual(300);
    expect(Math.max(...l2)).toBeGreaterThan(299);
    tf.dispose([r2.image, photo]);
  });

  it('cancellation stops within one step with an AbortError and frees its tensors', async () => {
    const model = await net('lite');
    const before = tf.memory().numTensors;
    const spec = (objective: Objective, signal: AbortSignal, onProgress?: () => void): OptimizeSpec => ({
      objective,
      steps: 50,
      stepRule: adam({ lr: 0.02 }),
      regularisers: [jitter(2)],
      signal,
      onProgress,
    });

    // Aborted between steps (from the progress callback): no further pass.
    const a = new AbortController();
    const o1 = counted(classLogit(model, 1));
    let progress = 0;
    const p1 = optimize(model, spec(o1, a.signal, () => ++progress === 2 && a.abort()));
    await expect(p1).rejects.toMatchObject({ name: 'AbortError' });
    await expect(p1).rejects.toBeInstanceOf(Error);
    expect([o1.calls, progress]).toEqual([2, 2]);

    // Aborted in the middle of a pass: that step is not applied.
    const b = new AbortController();
    let progressB = 0;
    const o2 = counted(classLogit(model, 1), (n) => n === 3 && b.abort());
    await expect(optimize(model, spec(o2, b.signal, () => progressB++))).rejects.toMatchObject({ name: 'AbortError' });
    expect([o2.calls, progressB]).toEqual([3, 2]);

    // Aborted from a queued event (a timer, like SIGINT or a worker's message): the loop yields between steps, so
    // the event runs before the next pass, not after the whole budget.
    const c = new AbortController();
    const o3 = counted(classLogit(model, 1));
    let callsAtAbort = -1;
    const onFirst = (): void => {
      if (callsAtAbort >= 0) return;
      callsAtAbort = 0;
      setTimeout(() => {
        callsAtAbort = o3.calls;
        c.abort();
      }, 0);
    };
    await expect(optimize(model, spec(o3, c.signal, onFirst))).rejects.toMatchObject({ name: 'AbortError' });
    expect(callsAtAbort).toBeGreaterThan(0);
    expect(o3.calls - callsAtAbort).toBeLessThanOrEqual(1);
    expect(o3.calls).toBeLessThanOrEqual(2);

    // Already aborted: nothing runs.
    const o4 = counted(classLogit(model, 1));
    await expect(optimize(model, spec(o4, AbortSignal.abort()))).rejects.toMatchObject({ name: 'AbortError' });
    expect(o4.calls).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the same seed gives the same image; another seed another one (noise start, jitter)', async () => {
    const model = await net('lite');
    const run = async (seed: number): Promise<Float32Array> => {
      const r = await visualizeClass(model, 417, { preset: 'lucid-lite', steps: 3, seed });
      const data = (await r.image.data()) as Float32Array;
      r.image.dispose();
      return data;
    };
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  it('copies give one gradient per row in a single pass (DeepFool batching), base adds a fixed image', async () => {
    const model = await net('lite');
    const photo = modelInput('coffee.png').tensor;
    let rows: tf.Tensor4D | undefined;
    const spy: StepRule = {
      name: 'spy',
      start: () => ({
        update: ({ inputGradient }) => {
          rows = tf.keep(inputGradient.clone());
          return tf.zeros([1]);
        },
        dispose: () => undefined,
      }),
    };
    await optimize(model, { objective: logitMargins(model, 967, [504, 968]), base: photo, steps: 1, stepRule: spy }).then((r) => r.image.dispose());
    expect(rows!.shape).toEqual([2, 224, 224, 3]);
    // Row 1 must be ∇(logit 968 − logit 967) at the photo, computed here on its own.
    const direct = model.gradient(photo, { logits: true }, (t) =>
      tf.sub(tf.slice(t.logits!, [0, 968], [1, 1]), tf.slice(t.logits!, [0, 967], [1, 1])).sum() as tf.Scalar,
    );
    const row1 = tf.slice(rows!, [1, 0, 0, 0], [1, -1, -1, -1]);
    const rel = tf.tidy(() => tf.div(tf.norm(tf.sub(row1, direct.gradient)), tf.norm(direct.gradient)).dataSync()[0]!);
    expect(rel).toBeLessThan(1e-4);
    tf.dispose([rows!, row1, direct.value, direct.gradient, direct.taps.logits!, photo]);
  });

  it('stopWhen ends the run before the update, with x as it was', async () => {
    const model = await net('lite');
    const r = await optimize(model, {
      objective: classLogit(model, 1),
      steps: 10,
      stepRule: normalizedAscent(0.02),
      stopWhen: ({ step }) => step === 2,
    });
    expect([r.steps, r.stopped, r.values.length]).toEqual([2, true, 3]);
    r.image.dispose();
  });

  it('bad arguments throw ConvLens errors with clear messages', async () => {
    const model: ConvNet = await net('lite');
    expect(() => classLogit(model, 1000)).toThrow(/class index 1000 is out of range 0..999/);
    expect(() => classLogit(model, -1)).toThrow(InvalidInputError);
    expect(() => classLogit(model, 1.5)).toThrow(InvalidInputError);
    expect(() => channelMean(model, 'conv_pw_99_relu', 0)).toThrow(UnknownLayerError);
    expect(() => channelMean(model, 'conv_pw_5_relu', 64)).toThrow(/channel 64 is out of range 0..63/);
    expect(() => neuron(model, 'conv_pw_5_relu', 0, { x: 28, y: 0 })).toThrow(/outside the 28×28 map/);
    expect(() => neuron(model, 'global_average_pooling2d_1', 0, { x: 0, y: 0 })).toThrow(InvalidInputError);
    expect(() => channelMean(model, 'input_1', 0)).toThrow(InvalidInputError);
    const wrong = tf.zeros([1, 7, 7, 3]);
    expect(() => featureDistance(model, 'conv_pw_3_relu', wrong)).toThrow(/do not match/);
    wrong.dispose();
    await expect(optimize(model, { objective: classLogit(model, 1), steps: -1, stepRule: normalizedAscent(0.1) })).rejects.toThrow(InvalidInputError);
  });
});
