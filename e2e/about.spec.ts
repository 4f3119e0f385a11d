import { expect, test } from '@playwright/test';
import { painted, state } from './helpers';
import { layoutProblems } from './layout-checks';

/**
 * The default gallery of 190 pictures (issue 11) in the app: the About overlay credits the 183 photos by source
 * with their licence files (shipped beside them), and the t-SNE map of all of them draws thumbnails, class labels
 * and the live frame's dot, zooms and pans. Screenshots at 1280×720 and 390×844 in the test's output folder.
 */
test('About credits the gallery photos; the t-SNE map of 190 pictures zooms', async ({ page, request }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');

  await page.getByRole('button', { name: 'About' }).click();
  const dialog = page.getByRole('dialog', { name: 'About ConvLens' });
  await expect(dialog).toContainText('150 photos from marcusklasson/GroceryStoreDataset');
  await expect(dialog).toContainText('20 photos from MohamedBakrAli/Kodak-Lossless-True-Color-Image-Suite');
  await expect(dialog).toContainText('13 photos from BuddiesOfBudgie/budgie-backgrounds');
  await expect(dialog).toContainText('Marcus Klasson et al., GroceryStoreDataset (MIT)');
  for (const file of ['LICENSE-GroceryStoreDataset.txt', 'LICENSE-kodak.txt', 'LICENSE-budgie-backgrounds.txt']) {
    await expect(dialog.getByRole('link', { name: file })).toHaveAttribute('href', `gallery/photos/${file}`);
    const res = await request.get(`/gallery/photos/${file}`);
    expect(res.ok(), file).toBe(true);
    expect((await res.text()).length, file).toBeGreaterThan(100);
  }
  expect((await state(page)).aboutOpen).toBe(true);
  await page.screenshot({ path: testInfo.outputPath('about-1280x720.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: testInfo.outputPath('about-390x844.png') });
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  expect(await layoutProblems(page), '390×844 with the About button in the header').toEqual([]);
  await page.keyboard.press('A'); // Shift+a opens it too
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Close (Esc)' }).click();
  await expect(dialog).toHaveCount(0);

  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByRole('button', { name: 't-SNE map' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 90_000 }).toBe('done');
  await expect.poll(() => painted(page, 'mode-result canvas')).toBeGreaterThan(0.99);
  await page.waitForTimeout(1500); // thumbnails load
  await page.screenshot({ path: testInfo.outputPath('map-1280x720.png') });
  expect(await layoutProblems(page), '1280×720 map').toEqual([]);
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect(page.getByRole('button', { name: 'Whole map' })).toBeEnabled();
  await page.waitForTimeout(500);
  await page.screenshot({ path: testInfo.outputPath('map-zoomed-1280x720.png') });
  await page.getByRole('button', { name: 'Whole map' }).click();
  await expect(page.getByRole('button', { name: 'Whole map' })).toBeDisabled();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: testInfo.outputPath('map-390x844.png'), fullPage: true });
  expect(await layoutProblems(page), '390×844 map').toEqual([]);
});
