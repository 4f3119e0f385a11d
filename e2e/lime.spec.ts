import { expect, test } from '@playwright/test';
import { state } from './helpers';

/**
 * LIME's bias lesson in the app (lite, WebGL): "What does it really look at?" runs LIME on the frozen frame (the fake
 * camera's espresso) and shows the top superpixels outlined, their weights, one plain verdict line and the linear
 * model's held-out R². The screenshot is docs/screenshots/lime.png.
 */
test('"What does it really look at?" shows LIME superpixels, their weights and an object/background verdict', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  await page.getByRole('button', { name: 'What does it really look at?' }).click();
  await expect.poll(async () => (await state(page)).job?.kind, { timeout: 10_000 }).toBe('lime');
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 240_000 }).toBe('done');
  console.log(`LIME e2e: ${(await state(page)).job!.seconds!.toFixed(1)} s in headless Chromium, WebGL (SwiftShader), lite, 150 samples`);
  const verdict = page.getByTestId('lime-verdict');
  await expect(verdict).toContainText(/It (looks at the object|relies on the background|looks everywhere)/);
  await expect(page.getByTestId('lime-weights').locator('li')).toHaveCount(5);
  await expect(page.getByText(/R² -?\d\.\d\d/)).toBeVisible();
  console.log(`LIME e2e verdict: ${await verdict.textContent()}`);
  await page.screenshot({ path: test.info().outputPath('lime.png') });
});
