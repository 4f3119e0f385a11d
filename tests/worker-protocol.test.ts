import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE_SETTINGS } from '../src/core/live/pipeline';
import { type WorkerRequest, type WorkerResponse, transferables } from '../workers/protocol';
import { type AdapterReport, CHOICE_VERSION, chooseModel, liveBudget, standardWorthTiming } from '../workers/backend-choice';
import { sharedImage } from './helpers';
import { workerHarness } from './worker-harness';

const frame = (id: number, name = 'coffee.png'): WorkerRequest => ({
  type: 'frame',
  id,
  image: sharedImage(name),
  settings: { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch' },
});

describe('inference worker protocol (handler run in Node)', () => {
  it('init → ready; frames → top-5 with latest-wins; filters; errors answer the request id', async () => {
    const h = workerHarness();
    await h.handle(frame(1));
    expect(await h.waitFor((r) => r.id === 1)).toMatchObject({ type: 'error', message: 'the model is not loaded yet' });

    await h.handle({ type: 'init', id: 2, model: 'lite', modelsUrl: 'unused' });
    const ready = await h.waitFor((r) => r.id === 2);
    expect(ready).toMatchObject({ type: 'ready', backend: 'cpu', model: 'lite' });
    if (ready.type === 'ready') expect(ready.layers.at(-1)!.name).toBe('conv_pw_13_relu');

    // Three frames arrive while the first is processed: the middle one is dropped, the newest is answered.
    await Promise.all([h.handle(frame(3)), h.handle(frame(4, 'chelsea.png')), h.handle(frame(5, 'chelsea.png'))]);
    const first = await h.waitFor((r) => r.id === 3);
    expect(await h.waitFor((r) => r.id === 4)).toEqual({ type: 'dropped', id: 4 });
    const last = await h.waitFor((r) => r.id === 5);
    expect(first.type === 'frame' && first.frame.top5[0]!.label).toBe('espresso');
    expect(last.type === 'frame' && last.frame.top5[0]!.index).toBeGreaterThanOrEqual(281); // a cat class
    expect(last.type === 'frame' && last.frame.top5[0]!.index).toBeLessThanOrEqual(285);
    expect(h.closed()).toBe(4); // frames 1 (error path closes too), 3, 4 (dropped), 5
    expect(transferables(first).length).toBe(1); // the activation buffer moves, not copies

    await h.handle({ type: 'filters', id: 6 });
    const filters = await h.waitFor((r) => r.id === 6);
    expect(filters.type === 'image' && [filters.image.width, filters.image.height]).toEqual([3 * 24 + 8, 3 * 24 + 8]);
    await h.handle({ type: 'filters', id: 7, layer: 'conv_pw_99' });
    expect(await h.waitFor((r) => r.id === 7)).toMatchObject({ type: 'error', message: expect.stringMatching(/unknown layer/) });
  });

  it('a job reports progress, finishes with a map, and a second one can be cancelled mid-way', async () => {
    const h = workerHarness();
    await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused' });
    const job = { kind: 'explain', method: 'shapley', classIndex: 967, image: sharedImage('coffee.png'), options: { grid: 2, permutations: 2, batchSize: 2 } } as const;
    await h.handle({ type: 'job', id: 2, job });
    const progress = h.replies.filter((r) => r.id === 2 && r.type === 'progress');
    expect(progress.length).toBeGreaterThan(1);
    // Each report carries the time so far and, once a unit is done, the time left (the last one: 0).
    const timed = progress as Extract<WorkerResponse, { type: 'progress' }>[];
    expect(timed.every((p, i) => p.elapsedSeconds >= (timed[i - 1]?.elapsedSeconds ?? 0))).toBe(true);
    expect(timed.every((p) => p.done === 0 || (p.etaSeconds !== undefined && p.etaSeconds >= 0))).toBe(true);
    expect(timed.at(-1)).toMatchObject({ done: timed.at(-1)!.total, etaSeconds: 0 });
    const done = await h.waitFor((r) => r.id === 2 && r.type === 'done');
    expect(done.type === 'done' && done.result.kind === 'explain' && done.result.heatmap.data.length).toBe(224 * 224);

    const running = h.handle({ type: 'job', id: 3, job: { ...job, options: { grid: 4, permutations: 8, batchSize: 2 } } });
    await h.waitFor((r) => r.id === 3 && r.type === 'progress');
    await h.handle({ type: 'cancel', id: 4, job: 3 });
    await running;
    const last = h.replies.filter((r) => r.id === 3).at(-1)!;
    expect(last).toEqual({ type: 'cancelled', id: 3 });
    const steps = h.replies.filter((r) => r.id === 3 && r.type === 'progress');
    expect(steps.length).toBeLessThan(60); // 122 coalitions in batches of 2: stopped long before the end
  });
});

describe('gallery jobs through the worker protocol', () => {
  it('neighbours of a frame, the embedding map, top patches, and a visitor snapshot joining the gallery', async () => {
    const h = workerHarness();
    await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused' });
    await h.handle({ type: 'job', id: 2, job: { kind: 'neighbours', image: sharedImage('chelsea.png'), k: 3 } });
    const neighbours = await h.waitFor((r) => r.id === 2 && r.type !== 'progress');
    if (neighbours.type !== 'done' || neighbours.result.kind !== 'neighbours') throw new Error(JSON.stringify(neighbours));
    expect(neighbours.result.views.map((v) => `${v.space}/${v.metric}`)).toEqual(['feature/l2', 'feature/cosine', 'pixel/l2']);
    // The frame is chelsea.png itself: the same content id is excluded, so it is not its own neighbour.
    for (const view of neighbours.result.views) {
      expect(view.neighbours).toHaveLength(3);
      expect(view.neighbours.map((n) => n.name)).not.toContain('chelsea.png');
      expect(view.neighbours[0]!.distance).toBeLessThanOrEqual(view.neighbours[2]!.distance);
    }

    await h.handle({ type: 'job', id: 3, job: { kind: 'embed', method: 'pca' } });
    const map = await h.waitFor((r) => r.id === 3 && r.type !== 'progress');
    if (map.type !== 'done' || map.result.kind !== 'embed') throw new Error(JSON.stringify(map));
    expect(map.result.points).toHaveLength(7);
    expect(map.result.vectors[0]!.length).toBe(256);
    expect(map.result.pca!.components).toHaveLength(2);

    await h.handle({ type: 'job', id: 4, job: { kind: 'gallery-add', image: sharedImage('coffee.png'), name: 'snapshot 1' } });
    const added = await h.waitFor((r) => r.id === 4 && r.type !== 'progress');
    // coffee.png's pixels hash differently from its file bytes, so the snapshot is a new, eighth entry.
    expect(added.type === 'done' && added.result.kind === 'gallery-add' && added.result.size).toBe(8);

    await h.handle({ type: 'job', id: 5, job: { kind: 'top-patches', layer: 'conv_pw_3_relu', channel: 2, k: 4 } });
    const patches = await h.waitFor((r) => r.id === 5 && r.type !== 'progress');
    if (patches.type !== 'done' || patches.result.kind !== 'top-patches') throw new Error(JSON.stringify(patches));
    expect(patches.result.patches).toHaveLength(4);
    const acts = patches.result.patches.map((p) => p.activation);
    expect([...acts].sort((a, b) => b - a)).toEqual(acts);
    expect(patches.result.grid.width).toBeGreaterThan(96);
  });
});

describe('worker memory and recovery (handler on the CPU backend, lite model)', () => {
  const views = [
    { view: 'activations' },
    { view: 'saliency', saliency: 'vanilla' },
    { view: 'saliency', saliency: 'guided' },
    { view: 'saliency', saliency: 'smoothgrad' },
    { view: 'gradcam' },
    { view: 'occlusion' },
    { view: 'filters' },
  ] as const;
  const frameIn = (id: number, k: number, name = k % 2 ? 'chelsea.png' : 'coffee.png'): WorkerRequest => ({
    type: 'frame',
    id,
    image: sharedImage(name),
    // Lighter SmoothGrad and occlusion batches than the kiosk's, to keep the test short on the CPU backend.
    settings: { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch', smoothSamples: 2, occlusion: { ...DEFAULT_LIVE_SETTINGS.occlusion, batchSize: 4 }, ...views[k % views.length]! },
  });

  it('60 frames across every live view: tf.memory().numTensors returns exactly to its baseline, and frames report it', async () => {
    const h = workerHarness();
    await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused' });
    await h.waitFor((r) => r.id === 1);
    // One pass of every view first: the occlusion sweep keeps its input and partial map between frames.
    for (let k = 0; k < views.length; k++) {
      await h.handle(frameIn(100 + k, k));
      await h.waitFor((r) => r.id === 100 + k);
    }
    await h.handle({ type: 'memory', id: 2 });
    const baseline = await h.waitFor((r) => r.id === 2);
    if (baseline.type !== 'memory') throw new Error(JSON.stringify(baseline));
    expect(baseline.memory.numTensors).toBe(tf.memory().numTensors);
    const counts: number[] = [];
    for (let k = 0; k < 60; k++) {
      await h.handle(frameIn(1000 + k, k));
      const reply = await h.waitFor((r) => r.id === 1000 + k);
      if (reply.type !== 'frame') throw new Error(JSON.stringify(reply));
      counts.push(reply.memory.numTensors);
    }
    expect(new Set(counts)).toEqual(new Set([baseline.memory.numTensors]));
    expect(tf.memory().numTensors).toBe(baseline.memory.numTensors);
  });

  it('a lost backend is recreated, the model rebuilt, the page told, and frames go on with no leaked tensors', async () => {
    let lose: ((reason: string) => void) | undefined;
    const recreated: string[] = [];
    const h = workerHarness({
      watchBackend: (_backend, lost) => void (lose = lost),
      recreateBackend: async (lost) => {
        recreated.push(lost);
        await tf.setBackend('cpu');
        return 'cpu';
      },
    });
    const before = tf.memory().numTensors;
    await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused' });
    await h.waitFor((r) => r.id === 1);
    await h.handle(frameIn(2, 0, 'coffee.png'));
    await h.waitFor((r) => r.id === 2);
    const loaded = tf.memory().numTensors;
    expect(loaded).toBeGreaterThan(before);

    lose!('destroyed: simulated');
    // A frame offered during recovery waits for it instead of failing.
    await h.handle(frameIn(3, 0, 'coffee.png'));
    const recovered = await h.waitFor((r) => r.type === 'status' && r.event === 'recovered');
    expect(h.replies.find((r) => r.type === 'status' && r.event === 'device-lost')).toMatchObject({ id: 0, backend: 'cpu', message: 'destroyed: simulated', recoveries: 0 });
    expect(recovered).toMatchObject({ id: 0, backend: 'cpu', recoveries: 1, message: expect.stringMatching(/recreated the cpu backend in \d+ ms/) });
    expect(recreated).toEqual(['cpu']);
    const frame = await h.waitFor((r) => r.id === 3);
    expect(frame.type === 'frame' && frame.frame.top5[0]!.label).toBe('espresso');
    expect(tf.memory().numTensors).toBe(loaded); // the old model was disposed, the new one is the same size
    lose!('again'); // the new backend is watched too
    expect(await h.waitFor((r) => r.type === 'status' && r.recoveries === 2)).toMatchObject({ event: 'recovered' });
  });
});

describe('backend and model chosen by measurement (handler on the CPU backend)', () => {
  const cpuOnly: AdapterReport[] = [
    { backend: 'webgpu', available: false, renderer: '', software: false },
    // Node has no WebGL: reported available, it fails to start and is left out of the timings.
    { backend: 'webgl', available: true, renderer: 'ANGLE (SwiftShader Device)', software: true },
    { backend: 'cpu', available: true, renderer: 'cpu', software: true },
  ];

  it('times each candidate, picks the fastest that ran, decides the model by the 2 frames/s rule, sizes the budget, and is remembered', async () => {
    const h = workerHarness({
      detectBackends: async () => cpuOnly,
      chooseBackend: async (forced) => {
        if (forced && forced !== 'cpu') throw new Error(`${forced} is not available in Node`);
        await tf.setBackend('cpu');
        return 'cpu';
      },
    });
    await h.handle({ type: 'init', id: 1, model: 'standard', modelsUrl: 'unused', auto: { model: true, remembered: {} } });
    const ready = await h.waitFor((r) => r.id === 1, 300_000);
    if (ready.type !== 'ready' || !ready.choice) throw new Error(JSON.stringify(ready));
    const { choice } = ready;
    expect(choice).toMatchObject({ backend: 'cpu', how: 'measured', deviceKey: 'cpu=cpu|webgl=ANGLE (SwiftShader Device)' });
    // webgl failed to start, so only cpu was timed with lite; then standard on cpu unless lite was already too slow.
    expect(choice.timings.filter((t) => t.model === 'lite' && t.backend === 'webgl')).toEqual([]);
    const lite = choice.timings.find((t) => t.model === 'lite' && t.backend === 'cpu')!;
    expect(lite.gradientMs).toBeGreaterThan(lite.forwardMs);
    const standard = choice.timings.find((t) => t.model === 'standard');
    if (standardWorthTiming(lite)) {
      expect(standard!.gradientMs).toBeGreaterThan(lite.gradientMs);
      expect(choice.model).toBe(chooseModel(standard));
    } else {
      expect(standard).toBeUndefined();
      expect(choice.model).toBe('lite');
      expect(choice.reason).toMatch(/Lite already under 2 gradient frames\/s: standard not timed → lite\.$/);
    }
    expect(ready.model).toBe(choice.model);
    const final = choice.timings.filter((t) => t.model === choice.model).at(-1)!;
    expect(choice.budget).toEqual(liveBudget(final));
    expect(choice.reason).toMatch(/^Measured one warm lite gradient frame: cpu \d+ ms → cpu\. WebGL is a software renderer/);
    // The model in use answers frames.
    await h.handle({ type: 'frame', id: 2, image: sharedImage('coffee.png'), settings: { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch' } });
    const answered = await h.waitFor((r) => r.id === 2);
    expect(answered.type === 'frame' && answered.frame.top5[0]!.label).toBe('espresso');

    // The same device again, with the choice remembered: nothing is timed, the same backend, model and budget.
    const text = JSON.stringify({ version: CHOICE_VERSION, backend: choice.backend, model: choice.model, budget: choice.budget, reason: choice.reason, timings: choice.timings });
    await h.handle({ type: 'init', id: 3, model: 'standard', modelsUrl: 'unused', auto: { model: true, remembered: { [choice.deviceKey]: text } } });
    const again = await h.waitFor((r) => r.id === 3, 300_000);
    expect(again).toMatchObject({ type: 'ready', backend: 'cpu', model: choice.model, choice: { how: 'remembered', budget: choice.budget, timings: choice.timings } });
  }, 600_000);

  it('a forced backend and model: that backend, that model, timed once for the budget', async () => {
    const h = workerHarness({ detectBackends: async () => cpuOnly });
    await h.handle({ type: 'init', id: 1, model: 'lite', backend: 'cpu', modelsUrl: 'unused' });
    const ready = await h.waitFor((r) => r.id === 1, 120_000);
    expect(ready).toMatchObject({ type: 'ready', backend: 'cpu', model: 'lite', choice: { how: 'forced', backend: 'cpu', model: 'lite' } });
    if (ready.type !== 'ready') return;
    expect(ready.choice!.timings.map((t) => `${t.backend}/${t.model}`)).toEqual(['cpu/lite']);
    expect(ready.choice!.budget).toEqual(liveBudget(ready.choice!.timings[0]!));
  }, 300_000);
});
