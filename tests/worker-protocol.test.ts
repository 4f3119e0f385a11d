import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE_SETTINGS } from '../src/core/live/pipeline';
import { loadModel } from '../src/node/model-files';
import { createInferenceHandler } from '../workers/inference-handler';
import { type WorkerRequest, type WorkerResponse, transferables } from '../workers/protocol';
import { sharedImage } from './helpers';

/** The worker's handler with a Node environment (CPU backend, models from disk, RGBA frames). */
function harness() {
  const replies: WorkerResponse[] = [];
  let closed = 0;
  const handle = createInferenceHandler({
    chooseBackend: async () => {
      await tf.setBackend('cpu');
      return 'cpu';
    },
    loadNet: (model) => loadModel(model),
    toPixels: (image) => tf.browser.fromPixels(image as ImageData),
    closeImage: () => void closed++,
    post: (message) => void replies.push(message),
  });
  const waitFor = async (pred: (r: WorkerResponse) => boolean, ms = 60_000): Promise<WorkerResponse> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const hit = replies.find(pred);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no such reply');
  };
  return { replies, handle, waitFor, closed: () => closed };
}

const frame = (id: number, name = 'coffee.png'): WorkerRequest => ({
  type: 'frame',
  id,
  image: sharedImage(name),
  settings: { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch' },
});

describe('inference worker protocol (handler run in Node)', () => {
  it('init → ready; frames → top-5 with latest-wins; filters; errors answer the request id', async () => {
    const h = harness();
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
    const h = harness();
    await h.handle({ type: 'init', id: 1, model: 'lite', modelsUrl: 'unused' });
    const job = { kind: 'explain', method: 'shapley', classIndex: 967, image: sharedImage('coffee.png'), options: { grid: 2, permutations: 2, batchSize: 2 } } as const;
    await h.handle({ type: 'job', id: 2, job });
    const progress = h.replies.filter((r) => r.id === 2 && r.type === 'progress');
    expect(progress.length).toBeGreaterThan(1);
    const done = await h.waitFor((r) => r.id === 2 && r.type === 'done');
    expect(done.type === 'done' && done.result.heatmap.data.length).toBe(224 * 224);

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
