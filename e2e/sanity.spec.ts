import { expect, test } from '@playwright/test';
import { state } from './helpers';

/**
 * The sanity check job (Adebayo et al. 2018) in the app on software WebGL with the lite model: from the Grad-CAM
 * view, the job randomises the top 8 layers and shows the trained map and the 8 randomised maps with their
 * Spearman ρ.
 */
test('sanity check: the trained map and 8 randomised ones, each with its ρ', async ({ page }, info) => {
  test.setTimeout(300_000);
  await page.goto('/?model=lite&backend=webgl&view=gradcam');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  await page.getByRole('button', { name: 'Sanity check: randomise the network' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 200_000 }).toBe('done');
  console.log(`sanity check (gradcam, 8 layers): ${(await state(page)).job!.seconds!.toFixed(1)} s, lite, WebGL (SwiftShader)`);
  const maps = page.getByTestId('sanity-maps');
  await expect(maps.locator('canvas')).toHaveCount(9);
  const rhos = await page.getByTestId('sanity-rho').allTextContents();
  console.log('ρ per layer:', rhos.join(' | '));
  expect(rhos).toHaveLength(8);
  for (const text of rhos) expect(text).toMatch(/^(ρ = -?\d\.\d\d|— \(flat map\))$/);
  await page.screenshot({ path: info.outputPath('sanity-result.png') });
});
