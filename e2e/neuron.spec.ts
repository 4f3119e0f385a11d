import { expect, test } from '@playwright/test';
import { painted, state } from './helpers';

/**
 * "What each depth keeps" (feature inversion of the frozen frame at a row of layers) and the three views of the
 * enlarged channel's strongest neuron, run in the browser on the CPU backend with the lite model.
 * docs/screenshots/inversion-row.png and neuron-views.png are copies of the screenshots taken here.
 */
test('inversion row of the frame with the live layer marked; three views of one neuron side by side', async ({ page }, testInfo) => {
  test.setTimeout(600_000);
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.goto('/?model=lite&backend=cpu');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');

  await page.getByRole('button', { name: 'What each depth keeps: invert the frame' }).click();
  await expect.poll(() => painted(page, 'mode-result canvas.preview'), { timeout: 90_000 }).toBeGreaterThan(0.99);
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 240_000 }).toBe('done');
  const row = page.locator('mode-result [data-testid="inversion-row"] figure');
  await expect(row).toHaveCount(6); // the frame and five layers (the live layer conv_pw_3_relu is one of them)
  await expect(page.locator('mode-result figure.chosen')).toHaveAttribute('data-layer', 'conv_pw_3_relu');
  await expect(page.getByTestId('chosen-mark')).toHaveText('(yours)');
  for (let i = 0; i < 6; i++) expect(await painted(page, `mode-result canvas[data-index="${i - 1}"]`)).toBe(1);
  const distances = await page.getByTestId('feature-distance').allTextContents();
  expect(distances).toHaveLength(5);
  await page.screenshot({ path: testInfo.outputPath('inversion-row.png') });

  await page.getByRole('tab', { name: 'Activations' }).click();
  await page.locator('activation-grid canvas').click({ position: { x: 5, y: 5 } });
  await page.getByRole('button', { name: /Three views of channel 0's strongest neuron/ }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 240_000 }).toBe('done');
  await expect(page.getByTestId('neuron-views')).toContainText('(a) Guided backprop');
  await expect(page.getByTestId('neuron-views')).toContainText(/row \d+, column \d+\s+of the 56×56 map/);
  for (const which of ['frame', 'field', 'guided', 'visualisation', 'patches']) expect(await painted(page, `mode-result canvas.${which}`)).toBe(1);
  await page.screenshot({ path: testInfo.outputPath('neuron-views.png') });
});
