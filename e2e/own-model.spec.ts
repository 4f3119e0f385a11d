import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModelFiles, tmShapedModel } from '../tests/model-fixtures';
import { state } from './helpers';

/**
 * "Use your own model" (issue 12): a small Teachable-Machine-shaped export written here (model.json, weights.bin,
 * metadata.json) is picked in the panel, checked, compiled in the worker and stored in IndexedDB; the app runs it
 * (status line, top-5 with the metadata's labels), keeps it across a reload (?model=NAME and the picker), and a
 * broken export or an unsupported layer gets one line while the model in use keeps running.
 */

const LABELS = ['apple', 'pear', 'plum'];
const dir = mkdtempSync(join(tmpdir(), 'convlens-own-model-e2e-'));
let files: { model: string; weights: string; metadata: string; short: string; odd: string };

test.beforeAll(async () => {
  const model = tmShapedModel();
  const modelJson = await saveModelFiles(model, join(dir, 'tm'));
  model.dispose();
  const metadata = join(dir, 'tm', 'metadata.json');
  writeFileSync(metadata, JSON.stringify({ tfjsVersion: '1.3.1', tmVersion: '2.4.5', modelName: 'My Fruit Model', labels: LABELS, imageSize: 32 }));
  // A damaged copy: the weight file 8 bytes short.
  const weights = readFileSync(join(dir, 'tm', 'weights.bin'));
  const short = join(dir, 'short', 'weights.bin');
  await saveModelFiles(tmShapedModel(), join(dir, 'short'));
  writeFileSync(short, weights.subarray(0, weights.byteLength - 8));
  // A layer ConvLens cannot compile (UpSampling2D), found in the worker.
  const tf = await import('@tensorflow/tfjs');
  const input = tf.input({ shape: [8, 8, 3] });
  const up = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(input) as import('@tensorflow/tfjs').SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(up) as import('@tensorflow/tfjs').SymbolicTensor;
  const odd = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, activation: 'softmax' }).apply(pooled) as import('@tensorflow/tfjs').SymbolicTensor });
  const oddJson = await saveModelFiles(odd, join(dir, 'odd'));
  odd.dispose();
  files = { model: modelJson, weights: join(dir, 'tm', 'weights.bin'), metadata, short, odd: oddJson };
});

test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('your own model: stored, run with its labels, kept across a reload; broken files one line each', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?model=lite&backend=cpu');
  await expect.poll(async () => (await state(page)).top5.length, { timeout: 90_000 }).toBeGreaterThan(0);
  const panel = page.locator('own-model-panel');
  const notice = page.getByTestId('own-model-notice');

  // A damaged export: nothing stored, one line naming the file, the lite model keeps running.
  await page.getByTestId('own-model-files').setInputFiles([join(dir, 'short', 'model.json'), files.short, files.metadata]);
  await expect(notice).toHaveText(/^weights\.bin: \d+ bytes, but model\.json says \d+ \(a damaged or mismatched weight file\)$/);
  await expect(notice.locator('p')).toHaveCount(1);
  // An unsupported layer: refused by the worker's compiler, one line.
  await page.getByTestId('own-model-files').setInputFiles([files.odd, join(dir, 'odd', 'weights.bin')]);
  await expect(notice).toHaveText(/^model\.json: unsupported layer class 'UpSampling2D' \(layer 'up'\)/, { timeout: 30_000 });
  expect((await notice.innerText()).split('\n')).toHaveLength(1);
  expect((await state(page)).model).toBe('lite');
  await expect(page.locator('own-model-panel li')).toHaveCount(0);

  // The Teachable Machine export.
  await page.getByTestId('own-model-files').setInputFiles([files.model, files.weights, files.metadata]);
  await expect(notice).toContainText('Stored my-fruit-model: 3 classes (apple, pear, plum), 32×32 input', { timeout: 30_000 });
  await expect(page.locator('app-header [role=status]')).toContainText('Model my-fruit-model on cpu', { timeout: 90_000 });
  await expect.poll(async () => (await state(page)).top5.map((p) => p.label).sort(), { timeout: 90_000 }).toEqual(LABELS);
  await expect(page.locator('top5-bars')).toContainText(/apple|pear|plum/);
  expect(new URL(page.url()).searchParams.get('model')).toBe('my-fruit-model');
  await expect(panel.getByTestId('model-picker')).toHaveValue('my-fruit-model');
  // The class picker offers the model's own classes.
  await page.getByRole('tab', { name: 'Saliency' }).click();
  await expect(page.locator('live-controls')).toContainText(/apple|pear|plum/);
  await page.locator('live-controls input[type=search]').fill('pea');
  await expect(page.locator('live-controls').getByRole('button', { name: 'pear', exact: true }).last()).toBeVisible();
  await page.locator('live-controls input[type=search]').fill('');
  await page.getByRole('tab', { name: 'Activations' }).click();
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('own-model-1280x720.png') });

  // A reload: the model comes back from IndexedDB (nothing fetched for it) and stays selectable.
  await page.reload();
  await expect.poll(async () => (await state(page)).model, { timeout: 90_000 }).toBe('my-fruit-model');
  await expect.poll(async () => (await state(page)).top5.map((p) => p.label).sort(), { timeout: 90_000 }).toEqual(LABELS);
  await expect(page.locator('own-model-panel li[data-name="my-fruit-model"]')).toHaveCount(1);
  await expect(page.locator('own-model-panel option[value="my-fruit-model"]')).toHaveCount(1);

  // Back to a bundled model with the picker, and the own model still there to pick again.
  await page.getByTestId('model-picker').selectOption('lite');
  await expect.poll(async () => (await state(page)).model, { timeout: 90_000 }).toBe('lite');
  await expect.poll(async () => (await state(page)).top5[0]?.label.length ?? 0, { timeout: 90_000 }).toBeGreaterThan(0);
  expect(LABELS).not.toContain((await state(page)).top5[0]!.label);
  expect(new URL(page.url()).searchParams.get('model')).toBe('lite');
  await expect(page.locator('own-model-panel option[value="my-fruit-model"]')).toHaveCount(1);

  await page.setViewportSize({ width: 390, height: 844 });
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('own-model-390x844.png') });

  // Removing it: gone from the list and the picker.
  await page.getByRole('button', { name: 'Remove my-fruit-model' }).click();
  await expect(notice).toHaveText('Removed my-fruit-model from this browser.');
  await expect(page.locator('own-model-panel option[value="my-fruit-model"]')).toHaveCount(0);

  // An address naming a model this browser does not have: one line, the address forgets it, a bundled model runs.
  await page.goto('/?model=my-fruit-model&backend=cpu');
  await expect(page.getByTestId('own-model-notice')).toHaveText('no model named "my-fruit-model" is stored in this browser; the bundled model runs instead');
  expect(new URL(page.url()).searchParams.get('model')).toBeNull();
  await expect(page.getByTestId('model-error-message')).toHaveCount(0);
});
