import { expect, test } from '@playwright/test';
import { painted, state } from './helpers';

test('gallery modes: neighbours side by side, the map with a live dot, snapshots, top patches', async ({ page }, testInfo) => {
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');

  await page.getByRole('button', { name: 'Nearest neighbours' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 90_000 }).toBe('done');
  for (const view of ['feature/l2', 'feature/cosine', 'pixel/l2']) {
    await expect(page.locator(`mode-result [data-view="${view}"] figure`)).toHaveCount(4);
  }
  // The camera shows coffee.png: its nearest feature-space neighbour is coffee.png itself (a different crop).
  await expect(page.locator('mode-result [data-view="feature/cosine"] img').first()).toHaveAttribute('alt', 'coffee.png');

  await page.getByRole('button', { name: 'PCA map' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 90_000 }).toBe('done');
  await expect.poll(() => painted(page, 'mode-result canvas')).toBeGreaterThan(0.99);

  await page.getByRole('button', { name: 'Add this frame to the gallery' }).click();
  await expect(page.locator('mode-result')).toContainText('The gallery now has 191 pictures');

  await page.getByRole('tab', { name: 'Activations' }).click();
  await page.locator('activation-grid canvas').click({ position: { x: 5, y: 5 } });
  await page.getByRole('button', { name: /Gallery patches that excite channel 0/ }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 90_000 }).toBe('done');
  await expect.poll(() => painted(page, 'mode-result canvas')).toBeGreaterThan(0.5);
  // The live layer is a ReLU6 layer: the patches are ranked by the value before the clip, and the view says so.
  await expect(page.getByTestId('patch-ranking')).toContainText('before the ReLU6 clip');
  await page.screenshot({ path: testInfo.outputPath('top-patches.png') });
});
