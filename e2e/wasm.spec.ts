import { expect, test } from '@playwright/test';
import type { ConvLensState } from '../src/ui/convlens-app';
import { moreFrames, state } from './helpers';

/**
 * GPU-less kiosks (issue 13, goal 5): on the CPU backend the forward-only work runs on a WASM twin of the model
 * (XNNPACK, SIMD, threads where cross-origin isolated), gradients on CPU. Checked in the built app with the fake
 * camera (a still espresso picture): the worker says where forward passes run; the activations view and a gradient
 * view run without an error from the WASM backend or its pthread workers; and the top-5 from the WASM twin equals the
 * CPU backend's (`?wasm=0`) for the same picture.
 */

test.describe.configure({ timeout: 300_000 });

/** Loads `query`, waits for frames of the activations view, then a saliency frame, and returns the state then. */
async function run(page: import('@playwright/test').Page, query: string): Promise<{ activations: ConvLensState; errors: string[] }> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(`/?model=lite&backend=cpu&view=activations${query}`);
  await expect.poll(async () => (await state(page)).frames, { timeout: 180_000 }).toBeGreaterThanOrEqual(3);
  const activations = await state(page);
  await page.keyboard.press('2'); // saliency: a gradient view, on the CPU backend
  await expect.poll(async () => (await state(page)).mode).toBe('saliency');
  await moreFrames(page, 2);
  expect((await state(page)).error).toBeNull();
  return { activations, errors };
}

test('forward passes on WASM beside the CPU backend give the CPU backend top-5, with no worker errors', async ({ page, browser }) => {
  const wasm = await run(page, '');
  expect(wasm.activations.forward).toMatchObject({ backend: 'wasm', simd: true, isolated: true });
  expect(wasm.activations.forward!.threads).toBeGreaterThanOrEqual(1);
  expect(wasm.activations.stages['forward']).toBeGreaterThan(0);
  await expect(page.getByText(/on cpu, forward passes on WASM \(SIMD, \d+ threads?\)/).first()).toBeVisible();
  expect(wasm.errors).toEqual([]);

  const other = await browser.newPage();
  const cpu = await run(other, '&wasm=0');
  expect(cpu.activations.forward).toBeNull();
  expect(cpu.errors).toEqual([]);
  await other.close();

  // The same still picture through both: the same classes in the same order, probabilities equal to 1e-4.
  const [a, b] = [wasm.activations.top5, cpu.activations.top5];
  expect(a.map((p) => p.label)).toEqual(b.map((p) => p.label));
  expect(a[0]!.label).toBe('espresso');
  a.forEach((p, i) => expect(Math.abs(p.probability - b[i]!.probability)).toBeLessThan(1e-4));
});
