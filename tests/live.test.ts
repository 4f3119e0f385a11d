import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { gradCam, occlusion, saliency } from '../src/core/attribution';
import { DEFAULT_LIVE_SETTINGS, type LiveSettings, LivePipeline } from '../src/core/live/pipeline';
import { imageToTensor, toModelInput } from '../src/core/preprocess';
import { normaliseMap } from '../src/core/render/image';
import { net, sharedImage } from './helpers';

const settings = (over: Partial<LiveSettings>): LiveSettings => ({ ...DEFAULT_LIVE_SETTINGS, fit: 'stretch', ...over });
const coffee = (): tf.Tensor3D => imageToTensor(sharedImage('coffee.png'));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('live pipeline (one pass with taps per frame)', () => {
  it('activation view: top-5 and the selected layer from one fused pass', async () => {
    const pipeline = new LivePipeline(await net('lite'));
    const pixels = coffee();
    const frame = await pipeline.process(pixels, settings({ view: 'activations', layer: 'conv_pw_5_relu' }));
    expect(frame.top5[0]).toMatchObject({ index: 967, label: 'espresso' });
    expect(frame.top5).toHaveLength(5);
    expect(frame.activations!.shape).toEqual([28, 28, 64]);
    expect(frame.activations!.channels).toHaveLength(64);
    expect(frame.heatmap).toBeUndefined();
    expect(Object.keys(frame.stages)).toEqual(expect.arrayContaining(['preprocess', 'forward', 'readback']));
    pixels.dispose();
  });

  it('saliency and Grad-CAM views equal the stand-alone methods for the top class', async () => {
    const model = await net('lite');
    const pipeline = new LivePipeline(model);
    const pixels = coffee();
    const input = toModelInput(pixels, 'stretch');
    const live = await pipeline.process(pixels, settings({ view: 'saliency' }));
    const alone = await saliency(model, input, { target: { kind: 'class', index: 967 } });
    expect(live.top5[0]!.index).toBe(967);
    expect(maxAbsDiff(live.heatmap!.data, normaliseMap(alone.data, { percentile: 99 }))).toBeLessThan(1e-3);
    const cam = await pipeline.process(pixels, settings({ view: 'gradcam' }));
    const camAlone = await gradCam(model, input, { target: { kind: 'class', index: 967 } });
    expect(maxAbsDiff(cam.heatmap!.data, normaliseMap(camAlone.data))).toBeLessThan(1e-3);
    const guided = await pipeline.process(pixels, settings({ view: 'saliency', saliency: 'guided' }));
    expect(maxAbsDiff(guided.heatmap!.data, live.heatmap!.data)).toBeGreaterThan(0.1);
    const smooth = await pipeline.process(pixels, settings({ view: 'saliency', saliency: 'smoothgrad', smoothSamples: 2 }));
    expect(smooth.top5[0]!.index).toBe(967); // the clean image of the batch still gives the top-5
    expect(Math.max(...smooth.heatmap!.data)).toBe(1);
    tf.dispose([pixels, input.tensor]);
  });

  it('occlusion refines over frames to the full map, and starts over when the scene changes', async () => {
    const model = await net('lite');
    const pipeline = new LivePipeline(model);
    const pixels = coffee();
    const s = settings({ view: 'occlusion', occlusion: { patch: 112, stride: 56, batchSize: 4, batchesPerFrame: 1 } });
    const progress: number[] = [];
    let frame;
    do {
      frame = await pipeline.process(pixels, s);
      progress.push(frame.occlusionProgress!);
    } while (frame.occlusionProgress! < 1 && progress.length < 10);
    expect(progress).toEqual([0.3333333333333333, 0.7777777777777778, 1]); // 9 positions: 3 (+ baseline), 4, 2
    const input = toModelInput(pixels, 'stretch');
    const alone = await occlusion(model, input, { target: { kind: 'class', index: 967 }, patch: 112, stride: 56 });
    expect(maxAbsDiff(frame.heatmap!.data, normaliseMap(alone.data))).toBeLessThan(1e-3);
    const cat = imageToTensor(sharedImage('chelsea.png'));
    const next = await pipeline.process(cat, s);
    expect(next.occlusionProgress).toBeCloseTo(1 / 3, 6);
    pipeline.dispose();
    tf.dispose([pixels, cat, input.tensor]);
  });

  it('keeps the tensor count flat over many frames of every view', async () => {
    const pipeline = new LivePipeline(await net('lite'));
    const pixels = coffee();
    await pipeline.process(pixels, settings({ view: 'occlusion' }));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      for (const view of ['activations', 'saliency', 'gradcam', 'occlusion', 'filters'] as const) {
        await pipeline.process(pixels, settings({ view, saliency: i === 1 ? 'smoothgrad' : 'vanilla', smoothSamples: 1 }));
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    pipeline.dispose();
    pixels.dispose();
  });
});
