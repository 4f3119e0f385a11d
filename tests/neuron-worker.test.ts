import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { unitField, receptiveField } from '../src/core/gallery/receptive-field';
import { DEFAULT_LIVE_SETTINGS } from '../src/core/live/pipeline';
import { INVERT_JOB, NEURON_VIEWS_JOB } from '../src/core/optimize/defaults';
import { type AppState, initialState } from '../src/ui/app-state';
import { JOB_KINDS, jobKind, jobStartable } from '../src/ui/jobs/job-kinds';
import type { JobResult, JobSpec } from '../workers/protocol';
import { net, sharedImage } from './helpers';
import { workerHarness } from './worker-harness';

/** The 'invert-row' and 'neuron-views' jobs through the worker's handler (lite model, CPU backend, Node). */
describe('inversion row and the three views of a neuron through the worker protocol', () => {
  it('invert-row: the frame, a reconstruction per layer with the chosen one in place, previews, cancel', async () => {
    const h = workerHarness();
    await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused' });
    await h.waitFor((r) => r.id === 1);
    const baseline = tf.memory().numTensors;
    const job: JobSpec = { kind: 'invert-row', image: sharedImage('coffee.png'), layers: ['conv_pw_1_relu', 'conv_pw_7_relu'], chosen: 'conv_pw_7_relu', steps: 4 };
    await h.handle({ type: 'job', id: 2, job });
    const done = await h.waitFor((r) => r.id === 2 && r.type !== 'progress');
    if (done.type !== 'done' || done.result.kind !== 'invert-row') throw new Error(JSON.stringify(done));
    const r: Extract<JobResult, { kind: 'invert-row' }> = done.result;
    expect(r.row.map((s) => s.layer)).toEqual(['conv_pw_1_relu', 'conv_pw_7_relu']);
    expect(r.chosen).toBe('conv_pw_7_relu');
    expect([r.original.width, r.original.height]).toEqual([224, 224]);
    for (const s of r.row) {
      expect([s.image.width, s.image.height, s.steps]).toEqual([224, 224, 4]);
      expect(s.distance).toBeLessThan(s.startDistance);
    }
    expect(r.row[0]!.pixelCorrelation).toBeGreaterThan(r.row[1]!.pixelCorrelation);
    // Progress counts steps over the whole row; previews of the image so far come with some of them.
    const progress = h.replies.filter((m) => m.id === 2 && m.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ done: 8, total: 8 });
    expect(progress.some((m) => m.type === 'progress' && m.preview?.width === 224)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the last preview's read-back settles
    expect(tf.memory().numTensors).toBe(baseline);

    // Without layers: the declared row with the live layer put in its place; cancelled after its first step.
    const running = h.handle({ type: 'job', id: 3, job: { kind: 'invert-row', image: sharedImage('coffee.png'), chosen: 'conv_pw_7_relu', steps: 50 } });
    const first = await h.waitFor((m) => m.id === 3 && m.type === 'progress');
    expect(first).toMatchObject({ total: 6 * 50 });
    await h.handle({ type: 'cancel', id: 4, job: 3 });
    await running;
    expect(h.replies.filter((m) => m.id === 3).at(-1)).toEqual({ type: 'cancelled', id: 3 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('neuron-views: the neuron, its guided map cut to its field, the visualisation and the patches', async () => {
    const h = workerHarness();
    await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused' });
    await h.waitFor((r) => r.id === 1);
    const layer = 'conv_pw_3_relu';
    // The test's own copy of the model (for the receptive field), loaded before the count.
    const field = receptiveField(await net('lite'), layer);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const baseline = tf.memory().numTensors;
    await h.handle({ type: 'job', id: 2, job: { kind: 'neuron-views', image: sharedImage('chelsea.png'), layer, channel: 5, steps: 5, k: 3 } });
    const done = await h.waitFor((r) => r.id === 2 && r.type !== 'progress');
    if (done.type !== 'done' || done.result.kind !== 'neuron-views') throw new Error(JSON.stringify(done));
    const r: Extract<JobResult, { kind: 'neuron-views' }> = done.result;
    expect(r.mapSize).toEqual([56, 56]);
    expect(r.fieldRect).toEqual(unitField(field, r.neuron.y, r.neuron.x));
    // The display map covers the part of the field inside the frame, [0, 1], and is not blank.
    expect(r.guided.data.length).toBe(r.region.width * r.region.height);
    expect(Math.max(...r.guided.data)).toBe(1);
    expect(Math.min(...r.guided.data)).toBeGreaterThanOrEqual(0);
    expect(r.visualisation.steps).toBe(5);
    expect(r.visualisation.activation).toBeGreaterThan(r.visualisation.startActivation);
    expect(r.patches.items).toHaveLength(3);
    expect(r.patches.rankedBy).toBe('pre-activation');
    expect(r.patches.grid.width).toBeGreaterThan(0);
    const progress = h.replies.filter((m) => m.id === 2 && m.type === 'progress');
    expect(progress.at(-1)!.type === 'progress' && progress.at(-1)).toMatchObject({ done: 1 + 5 + 7, total: 1 + 5 + 7 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tf.memory().numTensors).toBe(baseline);

    // A channel the layer lacks: one clear line.
    await h.handle({ type: 'job', id: 3, job: { kind: 'neuron-views', image: sharedImage('chelsea.png'), layer, channel: 32 } });
    expect(await h.waitFor((m) => m.id === 3 && m.type !== 'progress')).toMatchObject({ type: 'error', message: expect.stringMatching(/channel 32 is out of range/) });
  });
});

describe('the app entries of the two jobs', () => {
  const bitmap = { width: 224, height: 224, close: () => undefined } as unknown as ImageBitmap;
  const state = (over: Partial<AppState> = {}): AppState => {
    const s = initialState('');
    return { ...s, ready: true, settings: { ...DEFAULT_LIVE_SETTINGS, view: 'activations', layer: 'conv_pw_5_relu' }, ...over };
  };

  it('invert the frame at the declared row with the live layer; the neuron job only with an enlarged channel', () => {
    const s = state();
    expect(jobKind('invert').spec(s, bitmap)).toEqual({ kind: 'invert-row', image: bitmap, chosen: 'conv_pw_5_relu', steps: INVERT_JOB.default.steps });
    expect(jobKind('invert').spec({ ...s, detail: 'detail' }, bitmap)).toMatchObject({ steps: INVERT_JOB.detail.steps });
    expect(jobStartable('neuron', s)).toBe(false); // no channel enlarged
    const enlarged = { ...s, channel: 12 };
    expect(jobStartable('neuron', enlarged)).toBe(true);
    expect(jobStartable('neuron', { ...enlarged, settings: { ...enlarged.settings, view: 'saliency' } })).toBe(false);
    expect(jobKind('neuron').spec(enlarged, bitmap)).toEqual({ kind: 'neuron-views', image: bitmap, layer: 'conv_pw_5_relu', channel: 12, preset: s.preset, ...NEURON_VIEWS_JOB.default });
    expect(JOB_KINDS.neuron.button(enlarged)).toBe("Three views of channel 12's strongest neuron");
  });
});
