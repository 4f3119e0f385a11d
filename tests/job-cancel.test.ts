import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { integratedGradients } from '../src/core/attribution/integrated-gradients';
import { FINE_OCCLUSION, FINE_SHAPLEY } from '../src/core/attribution/defaults';
import { occlusion } from '../src/core/attribution/occlusion';
import { shapley } from '../src/core/attribution/shapley';
import { AbortError, untilAborted } from '../src/core/cancel';
import { gradientAttack } from '../src/core/optimize/attacks';
import { UAP_GALLERY_JOB } from '../src/core/optimize/defaults';
import { fool } from '../src/core/optimize/fool';
import { universalPerturbation } from '../src/core/optimize/uap';
import { visualizeClass } from '../src/core/optimize/visualize';
import { UNIT_BUDGET_MS } from '../src/core/pacing';
import { classTarget } from '../src/core/target';
import { modelInput, net } from './helpers';

/**
 * Cancel, as the worker's jobs do it: each job kind's core function on the real lite model (CPU backend), its
 * AbortSignal aborted from a timer while the job is under way, with passes paced as the worker paces them (paceMs) (after its first unit of work, with more to do).
 * It must reject with an AbortError within 1 s of the abort and leave no tensor behind.
 */
interface Run {
  /** Starts the job; `unit` is called after each unit of work with (done, total). */
  (signal: AbortSignal, unit: (done: number, total: number) => void): Promise<unknown>;
}

/**
 * Wants the job cancelled 100 ms after its second unit of work (mid-way through the third) and measures from that
 * moment. On the CPU backend a pass cannot be interrupted: the timer fires only when the pass in flight ends, so
 * the latency includes it, as a person pressing Cancel would feel it. Passes are paced to 400 ms (pacing.ts), so
 * forward-only jobs must stop within 1 s; a gradient job's floor is one gradient pass of one image (1.2–1.5 s for
 * the lite model on this 2-core machine under load), so its bound is 1 s or the slowest unit measured before the
 * abort (the second unit, timed between progress reports), whichever is larger. On WebGL/WebGPU the wait for the
 * GPU ends at the cancel itself (untilAborted, tested below). A fixed batch of 16 images per pass fails here.
 */
async function cancelMidJob(run: Run, floor: 'forward' | 'gradient'): Promise<{ latencyMs: number; units: number; total: number; unitMs: number }> {
  await net('lite'); // the model is loaded before the tensor count is taken
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  let wantedAt = 0;
  const reports: number[] = [];
  let total = 0;
  const unit = (_done: number, of: number): void => {
    reports.push(performance.now());
    total = of;
    if (reports.length === 2) {
      wantedAt = performance.now() + 100;
      setTimeout(() => controller.abort(), 100);
    }
  };
  let error: unknown;
  try {
    await run(controller.signal, unit);
  } catch (err) {
    error = err;
  }
  const latencyMs = performance.now() - wantedAt;
  const unitMs = reports[1]! - reports[0]!;
  expect(error).toBeInstanceOf(AbortError);
  expect(wantedAt).toBeGreaterThan(0);
  expect(latencyMs).toBeLessThan(floor === 'forward' ? 1000 : Math.max(1000, unitMs + 250));
  expect(tf.memory().numTensors).toBe(before);
  console.log(`cancel latency ${latencyMs.toFixed(0)} ms after ${reports.length} of ${total} units (a unit took ${unitMs.toFixed(0)} ms)`);
  return { latencyMs, units: reports.length, total, unitMs };
}

describe('cancel acts within 1 s and leaks nothing (lite, CPU backend)', () => {
  const target = classTarget(967); // espresso

  it('fine occlusion', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const r = await cancelMidJob((signal, onProgress) => occlusion(model, input, { ...FINE_OCCLUSION, target, signal, onProgress, paceMs: UNIT_BUDGET_MS }), 'forward');
    input.tensor.dispose();
    expect(r.units).toBeLessThan(r.total);
  });

  it('Shapley values', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const r = await cancelMidJob((signal, onProgress) => shapley(model, input, { ...FINE_SHAPLEY, target, signal, onProgress, paceMs: UNIT_BUDGET_MS }), 'forward');
    input.tensor.dispose();
    expect(r.units).toBeLessThan(r.total);
  });

  it('integrated gradients', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const r = await cancelMidJob((signal, onProgress) => integratedGradients(model, input, { target, signal, onProgress, paceMs: UNIT_BUDGET_MS }), 'gradient');
    input.tensor.dispose();
    expect(r.units).toBeLessThan(r.total);
  });

  it('class visualisation', async () => {
    const model = await net('lite');
    const r = await cancelMidJob((signal, unit) => visualizeClass(model, 130, { preset: 'l2', signal, onProgress: (p) => unit(p.step, p.steps) }), 'gradient');
    expect(r.units).toBeLessThan(r.total);
  });

  it('fooling image (ε = 1, so it is not fooled within the first steps)', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const r = await cancelMidJob((signal, unit) => fool(model, input.tensor, 9, { eps: 1, signal, onProgress: (p) => unit(p.step, p.steps) }), 'gradient');
    input.tensor.dispose();
    expect(r.units).toBeLessThan(r.total);
  });

  it('universal perturbation', async () => {
    const model = await net('lite');
    const images = ['coffee.png', 'chelsea.png', 'astronaut.png'].map((name) => modelInput(name).tensor);
    const r = await cancelMidJob((signal, unit) =>
      universalPerturbation(model, images, {
        eps: UAP_GALLERY_JOB.eps,
        maxPasses: UAP_GALLERY_JOB.maxPasses,
        attack: gradientAttack({ stepSize: UAP_GALLERY_JOB.stepSize, maxSteps: 2 }),
        signal,
        onProgress: (p) => unit(p.step, p.steps),
      }),
      'gradient',
    );
    tf.dispose(images);
    expect(r.units).toBeLessThan(r.total);
  });
});

describe('untilAborted (a GPU read-back that a cancel need not wait for)', () => {
  it('rejects at once when the signal aborts while the work is pending; a late result is ignored', async () => {
    const controller = new AbortController();
    let finish!: (v: number) => void;
    const work = new Promise<number>((resolve) => (finish = resolve));
    const waiting = untilAborted(work, controller.signal);
    setTimeout(() => controller.abort(), 5);
    const t0 = performance.now();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(performance.now() - t0).toBeLessThan(100);
    finish(1); // resolves later: nothing happens
  });

  it('passes the result (or the failure) through while not aborted; rejects at once when already aborted', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(7), controller.signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('lost')), controller.signal)).rejects.toThrow('lost');
    controller.abort();
    await expect(untilAborted(new Promise<never>(() => undefined), controller.signal)).rejects.toBeInstanceOf(AbortError);
  });
});
