import { expect, test } from '@playwright/test';
import { painted, state } from './helpers';

test('facets of a class: one row per facet, the painted image beside its gallery pictures', async ({ page }, testInfo) => {
  test.setTimeout(420_000);
  await page.setViewportSize({ width: 1280, height: 1100 });
  await page.goto('/?model=lite&backend=cpu');
  await expect.poll(async () => (await state(page)).top5.length, { timeout: 90_000 }).toBeGreaterThan(0);
  await page.getByPlaceholder('type to find a class').fill('bell pepper');
  await page.getByRole('button', { name: 'bell pepper', exact: true }).click();
  await page.getByRole('button', { name: 'Facets of the class' }).click();
  await expect.poll(async () => (await state(page)).job?.kind, { timeout: 10_000 }).toBe('multifaceted');
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 360_000 }).toBe('done');
  const result = page.locator('facets-result');
  await expect(result).toContainText(/grouped by what the network sees into 3 facets/);
  const rows = result.locator('.facet');
  await expect(rows).toHaveCount(3);
  // Every facet shows its start and its image, and its members' thumbnails have loaded.
  for (let i = 0; i < 3; i++) {
    expect(await painted(page, `facets-result .facet[data-facet="${i}"] .facet-start canvas`)).toBe(1);
    expect(await painted(page, `facets-result .facet[data-facet="${i}"] .facet-image canvas`)).toBe(1);
    const thumbs = rows.nth(i).locator('.members img');
    expect(await thumbs.count()).toBeGreaterThan(0);
    await expect.poll(() => thumbs.evaluateAll((imgs: HTMLImageElement[]) => imgs.every((img) => img.complete && img.naturalWidth > 0))).toBe(true);
  }
  const members = await result.locator('.members img').count();
  expect(members).toBe(20);
  await page.screenshot({ path: testInfo.outputPath('facets-1280x1100.png') });
});
