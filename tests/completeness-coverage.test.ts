import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { OcclusionSweep, integratedGradients } from '../src/core/attribution';
import { IG_MAX_STEPS, IG_START_STEPS, IG_TOLERANCE } from '../src/core/attribution/integrated-gradients';
import { classify } from '../src/core/classify';
import { InvalidInputError } from '../src/core/errors';
import { modelInput, net } from './helpers';
import { workerHarness } from './worker-harness';

/** Issue 14, items 5 and 6: occlusion covers every pixel; Integrated Gradients reports and bounds its completeness gap. */

const PHOTOS = ['coffee.png', 'chelsea.png', 'astronaut.png', 'rocket.jpg', 'motorcycle_left.png', 'camera.png', 'clock_motion.png'];

describe('occlusion coverage', { timeout: 300_000 }, () => {
  it('every pixel is occluded at least once for any stride ≤ patch; a longer stride is refused in one line', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const target = { kind: 'class', index: 967 } as const;
    for (const [patch, stride] of [[56, 56], [100, 100], [60, 41], [224, 1], [80, 80], [150, 37]] as const) {
      const sweep = new OcclusionSweep(model, input, { target, patch, stride, batchSize: 16 });
      try {
        // Independent count from the positions alone.
        const covered = new Uint8Array(224 * 224);
        for (const { x, y } of sweep.positions) for (let r = y; r < y + patch; r++) covered.fill(1, r * 224 + x, r * 224 + x + patch);
        expect(covered.every((c) => c === 1), `patch ${patch} stride ${stride}`).toBe(true);
        const map = await sweep.run();
        expect(map.extras!['coverage'], `patch ${patch} stride ${stride}`).toBe(1);
      } finally {
        sweep.dispose();
      }
    }
    for (const [patch, stride] of [[4, 28], [20, 60], [56, 57]] as const) {
      expect(() => new OcclusionSweep(model, input, { target, patch, stride })).toThrow(InvalidInputError);
      expect(() => new OcclusionSweep(model, input, { target, patch, stride })).toThrow(`occlusion stride ${stride} is larger than the patch ${patch}`);
    }
    input.tensor.dispose();
  });
});

describe('Integrated Gradients completeness gap (Captum convergence delta)', { timeout: 900_000 }, () => {
  it('reports Σ attributions − (F(x) − F(x′)) with F from a separate forward pass; refining by 3 reuses every gradient', async () => {
    const model = await net('lite');
    const input = modelInput('coffee.png');
    const target = { kind: 'class', index: 967 } as const;
    const fixed = await integratedGradients(model, input, { target, steps: 96 });
    const e = fixed.extras!;
    // F(x) − F(x′) independently: the espresso logit on the photo and on black (x′ = −1 in model space).
    const both = tf.concat([input.tensor, tf.fill(input.tensor.shape, -1)]) as tf.Tensor4D;
    const logits = model.run(both, { logits: true }).logits!;
    const l = await logits.data();
    tf.dispose([both, logits]);
    expect(e['scoreDifference'] as number).toBeCloseTo(l[967]! - l[1000 + 967]!, 4);
    let sum = 0;
    for (const v of fixed.signed!) sum += v;
    expect(e['attributionSum'] as number).toBeCloseTo(sum, 6);
    expect(e['convergenceDelta'] as number).toBeCloseTo(sum - (e['scoreDifference'] as number), 6);
    expect(e['relativeGap'] as number).toBeCloseTo(Math.abs(e['convergenceDelta'] as number) / Math.abs(e['scoreDifference'] as number), 6);
    expect(e['steps']).toBe(96);
    // A user's fixed steps are kept, whatever the gap (the CLI then prints a note).
    const fixed32 = await integratedGradients(model, input, { target, steps: IG_START_STEPS });
    expect(fixed32.extras!['steps']).toBe(IG_START_STEPS);
    console.log(`coffee.png espresso: gap at 32 steps ${((fixed32.extras!['relativeGap'] as number) * 100).toFixed(1)} %, at 96 steps ${((e['relativeGap'] as number) * 100).toFixed(1)} %`);
    // Adaptive from 32 by ×3: if it stopped at 96, it used exactly the midpoints of the fixed 96-step run.
    const adaptive = await integratedGradients(model, input, { target, tolerance: (e['relativeGap'] as number) * 1.01 });
    expect(adaptive.extras!['steps']).toBe(96);
    let maxDiff = 0;
    adaptive.signed!.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - fixed.signed![i]!))));
    expect(maxDiff).toBeLessThan(1e-5 * Math.max(...fixed.data));
    input.tensor.dispose();
  });

  it('by default the gap stays under 5 % on every shared photo', async () => {
    const model = await net('lite');
    const rows: string[] = [];
    for (const name of PHOTOS) {
      const input = modelInput(name);
      const top = (await classify(model, input.tensor, 1))[0]!;
      const target = { kind: 'class', index: top.index } as const;
      const auto = await integratedGradients(model, input, { target });
      input.tensor.dispose();
      const gap = auto.extras!['relativeGap'] as number;
      rows.push(`${name} (${top.label}): adaptive ${auto.extras!['steps']} steps, gap ${(gap * 100).toFixed(2)} %`);
      expect(gap, name).toBeLessThan(IG_TOLERANCE);
      expect(auto.extras!['steps'] as number).toBeLessThanOrEqual(IG_MAX_STEPS);
      expect(auto.extras!['steps'] as number).toBeGreaterThanOrEqual(IG_START_STEPS);
    }
    console.log(rows.join('\n'));
  });

  it('the worker job result carries the core extras to the app', async () => {
    const { handle, replies } = workerHarness();
    await handle({ type: 'init', id: 0, model: 'lite', modelsUrl: 'unused' });
    const image = (await import('./helpers')).sharedImage('coffee.png');
    await handle({ type: 'job', id: 1, job: { kind: 'explain', method: 'integrated-gradients', classIndex: 967, image } });
    const done = replies.find((r) => r.id === 1 && r.type === 'done');
    if (done?.type !== 'done' || done.result.kind !== 'explain') throw new Error(JSON.stringify(replies.at(-1)));
    expect(done.result.extras).toMatchObject({ steps: expect.any(Number), relativeGap: expect.any(Number), convergenceDelta: expect.any(Number), tolerance: IG_TOLERANCE });
    expect(done.result.extras!['relativeGap'] as number).toBeLessThan(IG_TOLERANCE);
  });
});
