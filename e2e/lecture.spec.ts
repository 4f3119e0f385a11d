import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { expect, test } from '@playwright/test';
import { readPngText } from '../src/core/render/png-text';
import { moreFrames, state } from './helpers';

test('lecture: large type, shortcuts for views/layers/freeze, the ? overlay, PNG export with caption', async ({ page }) => {
  await page.goto('/?lecture&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  expect((await state(page)).lecture).toBe(true);
  expect(await page.locator('.caption').evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(28);

  // The ? overlay lists the shortcuts; Esc closes it.
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Export the current figure as PNG');
  await expect(dialog).toContainText('Page ↓');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // Views by number and by stepping (clickers send PageUp/PageDown).
  await page.keyboard.press('3');
  expect((await state(page)).mode).toBe('gradcam');
  await page.keyboard.press('ArrowRight');
  expect((await state(page)).mode).toBe('occlusion');
  await page.keyboard.press('PageUp');
  await page.keyboard.press('PageUp');
  expect((await state(page)).mode).toBe('saliency');
  await page.keyboard.press('1');
  const layer = (await state(page)).layer;
  await page.keyboard.press('l');
  expect((await state(page)).layer).not.toBe(layer);
  await page.keyboard.press('L');
  expect((await state(page)).layer).toBe(layer);
  await page.keyboard.press(']');
  await page.keyboard.press(']');
  expect((await state(page)).channel).toBe(1);

  // Freeze: the video stops, frames keep being explained from the frozen picture; unfreeze resumes the video.
  await page.keyboard.press('2');
  await page.keyboard.press(' ');
  expect((await state(page)).frozen).toBe(true);
  expect(await page.locator('.stage video').evaluate((v: HTMLVideoElement) => v.paused)).toBe(true);
  await moreFrames(page, 2);
  expect((await state(page)).top5[0]?.label).toBe('espresso');

  // Export: a PNG with the picture, the saliency overlay, the top-5 and the caption (also as PNG text).
  const caption = (await page.locator('.caption').textContent())!.trim();
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('e')]);
  expect(download.suggestedFilename()).toMatch(/^convlens-saliency-.*\.png$/);
  const bytes = readFileSync((await download.path())!);
  expect(readPngText(bytes)).toMatchObject({ Title: 'ConvLens — Saliency', Description: caption });
  const png = PNG.sync.read(bytes);
  expect(png.width).toBe(32 * 3 + 720 + 420);
  // The picture area (720×720 at 32,32) shows the photo under the overlay: many distinct colours, not blank.
  let lit = 0;
  const colours = new Set<number>();
  for (let y = 32; y < 752; y += 4) {
    for (let x = 32; x < 752; x += 4) {
      const i = (y * png.width + x) * 4;
      colours.add((png.data[i]! >> 4) * 256 + (png.data[i + 1]! >> 4) * 16 + (png.data[i + 2]! >> 4));
      if (png.data[i]! + png.data[i + 1]! + png.data[i + 2]! > 150) lit++;
    }
  }
  expect(colours.size).toBeGreaterThan(200);
  expect(lit / (180 * 180)).toBeGreaterThan(0.1);
  // The caption is drawn below the picture: light text pixels there.
  let text = 0;
  for (let y = 32 * 2 + 720; y < 32 * 2 + 720 + 38; y++) for (let x = 32; x < 1000; x++) if (png.data[(y * png.width + x) * 4]! > 180) text++;
  expect(text).toBeGreaterThan(300);

  await page.keyboard.press('f');
  expect((await state(page)).frozen).toBe(false);
  expect(await page.locator('.stage video').evaluate((v: HTMLVideoElement) => v.paused)).toBe(false);
});

test('lecture: shortcuts start and cancel an on-demand job', async ({ page }) => {
  await page.goto('/?lecture&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  await page.keyboard.press('S');
  await expect.poll(async () => (await state(page)).job?.kind).toBe('shapley');
  await expect.poll(async () => (await state(page)).job?.progress ?? 0).toBeGreaterThan(0);
  await page.keyboard.press('Backspace');
  await expect.poll(async () => (await state(page)).job?.state).toBe('cancelled');
});
