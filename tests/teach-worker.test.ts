import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE_SETTINGS, type LiveFrame, type LiveSettings } from '../src/core/live/settings';
import { type CropRect, type RgbaImage, imageCropToModelInput, modelInputToImage } from '../src/core/preprocess';
import { TEACH_LIMITS } from '../src/core/teach';
import { readImage } from '../src/node/image-io';
import type { JobResult, JobSpec, TeachStateReply, WorkerRequest, WorkerResponse } from '../workers/protocol';
import { ROOT } from './helpers';
import { heldUpCrops } from './picture-fixtures';
import { workerHarness } from './worker-harness';

/**
 * Teach mode in the worker (issue 12): frames captured as examples of a visitor's classes, a head trained on them
 * as a job (progress, cancel), the live frames and every job then running the taught network, and forgetting —
 * on the real lite model, with grocery photos as the visitor's objects (two photos of each variety taught, the third
 * held back).
 */

const PHOTOS = join(ROOT, 'public', 'gallery', 'photos');
const CLASSES = ['yellow fruit', 'red fruit'];
const VARIETIES = ['banana', 'red-delicious'];

/** The model's 224×224 view of a crop of `image`: what the page sends as a frame. */
async function frameOf(image: RgbaImage, crop: CropRect): Promise<RgbaImage> {
  const input = imageCropToModelInput(image, crop);
  try {
    const image = await modelInputToImage(input.tensor);
    // As the Node harness's frames are (tf.browser.fromPixels takes Uint8Array pixel data, not Uint8ClampedArray).
    return { ...image, data: new Uint8Array(image.data.buffer) };
  } finally {
    input.tensor.dispose();
  }
}

/** The whole picture and its four 80 % corners, as frames. */
async function views(image: RgbaImage): Promise<RgbaImage[]> {
  const crops = heldUpCrops(image.width, image.height);
  return Promise.all(crops.map((c) => frameOf(image, c)));
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function harness() {
  const h = workerHarness();
  let next = 1;
  const ask = async (request: DistributiveOmit<WorkerRequest, 'id'>): Promise<WorkerResponse> => {
    const id = next++;
    await h.handle({ ...request, id } as WorkerRequest);
    return h.waitFor((r) => r.id === id && r.type !== 'progress');
  };
  const teachState = async (request: DistributiveOmit<WorkerRequest, 'id'>): Promise<TeachStateReply> => {
    const reply = await ask(request);
    if (reply.type !== 'teach-state') throw new Error(JSON.stringify(reply));
    return reply;
  };
  const run = async (job: JobSpec): Promise<{ reply: WorkerResponse; progress: number }> => {
    const id = next++;
    await h.handle({ type: 'job', id, job });
    const reply = await h.waitFor((r) => r.id === id && r.type !== 'progress');
    return { reply, progress: h.replies.filter((r) => r.id === id && r.type === 'progress').length };
  };
  const frame = async (image: RgbaImage, settings: Partial<LiveSettings> = {}): Promise<LiveFrame> => {
    const reply = await ask({ type: 'frame', image, settings: { ...DEFAULT_LIVE_SETTINGS, fit: 'stretch', ...settings } });
    if (reply.type !== 'frame') throw new Error(JSON.stringify(reply));
    return reply.frame;
  };
  return { ...h, ask, teachState, run, frame };
}

describe('Teach mode in the worker', () => {
  it('captures examples, trains a head as a job, then every frame and job runs the taught network; forgetting restores the model', async () => {
    const h = harness();
    await h.handle({ type: 'init', id: 0, model: 'lite', modelsUrl: 'unused' });
    expect((await h.waitFor((r) => r.id === 0)).type).toBe('ready');
    const baseline = tf.memory().numTensors;

    const heldBack: RgbaImage[][] = [];
    for (const [c, variety] of VARIETIES.entries()) {
      for (const n of [1, 2]) {
        for (const view of await views(await readImage(join(PHOTOS, `grocery-${variety}-${n}.jpg`)))) {
          await h.teachState({ type: 'teach-example', classIndex: c, image: view });
        }
      }
      heldBack.push(await views(await readImage(join(PHOTOS, `grocery-${variety}-3.jpg`))));
    }
    const state = await h.teachState({ type: 'teach-forget', classIndex: 3 }); // nothing there: a no-op
    expect(state.counts).toEqual([10, 10, 0, 0]);
    expect(state.taught).toBe(false);
    expect(state.labels).toHaveLength(1000);
    // Examples are kept as features (arrays), not tensors.
    expect(tf.memory().numTensors).toBe(baseline);

    // Bad requests: one line each, nothing kept.
    const wrongIndex = await h.ask({ type: 'teach-example', classIndex: TEACH_LIMITS.maxClasses, image: heldBack[0]![0]! });
    expect(wrongIndex).toMatchObject({ type: 'error', message: `class index ${TEACH_LIMITS.maxClasses} is out of range 0..${TEACH_LIMITS.maxClasses - 1}` });
    const empty = await h.run({ kind: 'teach', classes: [...CLASSES, 'green fruit'] });
    expect(empty.reply).toMatchObject({ type: 'error', message: "class 'green fruit' has no examples: capture at least one" });
    const twins = await h.run({ kind: 'teach', classes: ['fruit', ' Fruit'] });
    expect(twins.reply).toMatchObject({ type: 'error', message: "classes 1 and 2 are both called 'Fruit': give each its own name" });

    // Cancelled training leaves no taught network and nothing allocated.
    const id = 500;
    const long = h.handle({ type: 'job', id, job: { kind: 'teach', classes: CLASSES, epochs: 100_000 } });
    await h.waitFor((r) => r.id === id && r.type === 'progress');
    await h.handle({ type: 'cancel', id: 501, job: id });
    await long;
    expect((await h.waitFor((r) => r.id === id && r.type !== 'progress')).type).toBe('cancelled');
    expect(tf.memory().numTensors).toBe(baseline);
    expect((await h.frame(heldBack[0]![0]!)).top5).toHaveLength(5);

    // Training: one progress report per epoch, every example right.
    const trained = await h.run({ kind: 'teach', classes: CLASSES });
    if (trained.reply.type !== 'done' || trained.reply.result.kind !== 'teach') throw new Error(JSON.stringify(trained.reply));
    const result: Extract<JobResult, { kind: 'teach' }> = trained.reply.result;
    console.log(`teach worker: ${result.counts.join('+')} examples, ${result.epochs} epochs in ${result.ms.toFixed(0)} ms, loss ${result.loss.toFixed(4)}`);
    expect(result).toMatchObject({ classes: CLASSES, counts: [10, 10], trainAccuracy: 1, epochs: 40 });
    expect(trained.progress).toBe(40);

    // Live frames of the held-back photos: the visitor's classes, right for every view; Grad-CAM explains them.
    for (const [c, frames] of heldBack.entries()) {
      for (const image of frames) {
        const f = await h.frame(image, { view: 'gradcam' });
        expect(f.top5.map((p) => p.label).sort()).toEqual([...CLASSES].sort());
        expect(f.top5[0]!.label).toBe(CLASSES[c]);
        expect(f.target).toEqual({ index: c, label: CLASSES[c] });
        expect(f.heatmap!.data.some((v) => v > 0)).toBe(true);
      }
    }
    // A job explains the taught classifier too.
    const explained = await h.run({ kind: 'explain', method: 'saliency', classIndex: 'top', image: heldBack[1]![0]! });
    expect(explained.reply).toMatchObject({ type: 'done', result: { kind: 'explain', target: { index: 1, label: 'red fruit' } } });

    // Clearing one class keeps the taught network until it is trained again; removing shifts the classes above.
    expect(await h.teachState({ type: 'teach-forget', classIndex: 0, remove: true })).toMatchObject({ counts: [10, 0, 0, 0], taught: true, labels: CLASSES });
    // Forgetting everything: the model's own classes again, and every tensor of the taught network released.
    expect(await h.teachState({ type: 'teach-forget' })).toMatchObject({ counts: [0, 0, 0, 0], taught: false });
    const after = await h.frame(heldBack[0]![0]!);
    expect(after.top5).toHaveLength(5);
    expect(after.top5[0]!.label).toBe('banana');
    expect(tf.memory().numTensors).toBe(baseline);
  }, 180_000);

  it('forgets what was taught when another model is loaded', async () => {
    const h = harness();
    await h.handle({ type: 'init', id: 0, model: 'lite', modelsUrl: 'unused' });
    const banana = await views(await readImage(join(PHOTOS, 'grocery-banana-1.jpg')));
    const apple = await views(await readImage(join(PHOTOS, 'grocery-red-delicious-1.jpg')));
    for (const image of banana) await h.teachState({ type: 'teach-example', classIndex: 0, image });
    for (const image of apple) await h.teachState({ type: 'teach-example', classIndex: 1, image });
    expect((await h.run({ kind: 'teach', classes: CLASSES, epochs: 5 })).reply.type).toBe('done');
    expect((await h.frame(banana[0]!)).top5).toHaveLength(2);
    await h.handle({ type: 'init', id: 900, model: 'lite', modelsUrl: 'unused' });
    expect((await h.waitFor((r) => r.id === 900)).type).toBe('ready');
    expect(await h.teachState({ type: 'teach-forget', classIndex: 0 })).toMatchObject({ counts: [0, 0, 0, 0], taught: false });
    expect((await h.frame(banana[0]!)).top5).toHaveLength(5);
  }, 120_000);

  it('drops a capture whose features were still being computed when the examples were forgotten', async () => {
    const h = harness();
    await h.handle({ type: 'init', id: 0, model: 'lite', modelsUrl: 'unused' });
    const [banana] = await views(await readImage(join(PHOTOS, 'grocery-banana-1.jpg')));
    expect(await h.teachState({ type: 'teach-example', classIndex: 0, image: banana! })).toMatchObject({ counts: [1, 0, 0, 0] });
    // The capture awaits its features' readback; the forget is handled meanwhile, as the worker's messages are.
    const capturing = h.handle({ type: 'teach-example', id: 700, classIndex: 1, image: banana! });
    await h.handle({ type: 'teach-forget', id: 701 });
    await capturing;
    expect(await h.waitFor((r) => r.id === 700)).toMatchObject({ type: 'teach-state', counts: [0, 0, 0, 0] });
    expect(await h.teachState({ type: 'teach-forget', classIndex: 1 })).toMatchObject({ counts: [0, 0, 0, 0] });
  }, 60_000);
});
