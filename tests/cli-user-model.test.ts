import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageToModelInput } from '../src/core/preprocess';
import { expectOneLineFailures, imagePath, runCli, sharedImage } from './helpers';
import { residualModel, saveModelFiles } from './model-fixtures';

/**
 * Issue 12: `--model PATH/model.json` on the CLI, with labels from a Teachable-Machine metadata.json beside it or
 * --labels, and --input-range for a model trained on other pixel values.
 */
describe('CLI with your own model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convlens-user-model-'));
  let modelJson = '';
  let expected: number[] = [];
  beforeAll(async () => {
    const model = residualModel();
    modelJson = await saveModelFiles(model, join(dir, 'tm'));
    writeFileSync(join(dir, 'tm', 'metadata.json'), JSON.stringify({ tfjsVersion: '1.3.1', tmVersion: '2.4.5', labels: ['apple', 'banana', 'cherry', 'date', 'elder'], imageSize: 32 }));
    writeFileSync(join(dir, 'labels.txt'), 'one\ntwo\nthree\nfour\nfive\n');
    // The model's own prediction for the picture as the CLI prepares it (stretched to 32 × 32, [-1, 1]).
    const input = imageToModelInput(sharedImage('chelsea.png'), 'stretch', 32);
    expected = Array.from((model.predict(input.tensor) as tf.Tensor).dataSync());
    input.tensor.dispose();
    model.dispose();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('classifies with the labels of metadata.json, the same probabilities as the model', async () => {
    const run = await runCli('classify', imagePath('chelsea.png'), '--model', modelJson, '--top', '5', '--json');
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { model: string; predictions: { index: number; label: string; probability: number }[] };
    expect(out.model).toBe(modelJson);
    const best = expected.indexOf(Math.max(...expected));
    expect(out.predictions[0]!.index).toBe(best);
    expect(out.predictions[0]!.label).toBe(['apple', 'banana', 'cherry', 'date', 'elder'][best]);
    for (const p of out.predictions) expect(Math.abs(p.probability - expected[p.index]!)).toBeLessThan(1e-5);
  }, 120_000);

  it('--labels overrides metadata.json; explain and layers work on the model', async () => {
    const [labelled, explain, layers] = await Promise.all([
      runCli('classify', imagePath('chelsea.png'), '--model', modelJson, '--labels', join(dir, 'labels.txt'), '--json'),
      runCli('explain', imagePath('chelsea.png'), '--method', 'gradcam', '--model', modelJson, '--json'),
      runCli('layers', '--model', modelJson, '--json'),
    ]);
    const best = expected.indexOf(Math.max(...expected));
    expect((JSON.parse(labelled.stdout) as { predictions: { label: string }[] }).predictions[0]!.label).toBe(['one', 'two', 'three', 'four', 'five'][best]);
    const map = JSON.parse(explain.stdout) as { layer?: string; target: { index: number } };
    expect(explain.code, explain.stderr).toBe(0);
    expect(map.target.index).toBe(best);
    const names = (JSON.parse(layers.stdout) as { layers: { name: string }[] }).layers.map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(['stem', 'res_add', 'sep', 'classes']));
  }, 180_000);

  it('bad model files, labels and options get one line each', async () => {
    writeFileSync(join(dir, 'bad-labels.txt'), 'only\ntwo\n');
    const cases = [
      [['classify', imagePath('chelsea.png'), '--model', join(dir, 'missing', 'model.json')], /model file not found/],
      [['classify', imagePath('chelsea.png'), '--model', modelJson, '--labels', join(dir, 'bad-labels.txt')], /names 2 classes but the model has 5 outputs/],
      [['classify', imagePath('chelsea.png'), '--model', modelJson, '--input-range', '1,0'], /--input-range must be LO,HI/],
      [['classify', imagePath('chelsea.png'), '--model', 'lite', '--labels', join(dir, 'labels.txt')], /applies to your own model/],
    ] as const;
    const runs = await Promise.all(cases.map(([args]) => runCli(...args)));
    expectOneLineFailures(cases, runs);
  }, 180_000);
});
