import { expect, test } from '@playwright/test';
import { moreFrames, painted, state } from './helpers';

test.describe('live kiosk with a (fake) camera, lite model', () => {
  test('the camera picture is classified as espresso and every live view paints', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/?model=lite&backend=webgl');
    await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
    const s = await state(page);
    expect(s).toMatchObject({ backend: 'webgl', model: 'lite', source: 'camera', error: null });
    await expect(page.locator('top5-bars')).toContainText('espresso');

    // Activations: the grid paints; clicking a tile enlarges that channel over the picture.
    await moreFrames(page);
    expect(await painted(page, 'activation-grid canvas')).toBeGreaterThan(0.5);
    await page.locator('activation-grid canvas').click({ position: { x: 5, y: 5 } });
    await moreFrames(page);
    expect(await painted(page, 'canvas.overlay')).toBeGreaterThan(0.05);

    for (const [tab, mode] of [['Saliency', 'saliency'], ['Grad-CAM', 'gradcam'], ['Occlusion', 'occlusion']] as const) {
      await page.getByRole('tab', { name: tab }).click();
      await moreFrames(page, 2);
      expect((await state(page)).mode).toBe(mode);
      if (mode === 'occlusion') {
        // The sweep refines as many patches per frame as the measured frame budget allows (one or two here, and
        // the first ones cover the table, where occluding changes nothing): wait for the map, not for a frame count.
        await expect.poll(() => painted(page, 'canvas.overlay'), { message: mode, timeout: 90_000 }).toBeGreaterThan(0.05);
      } else {
        expect(await painted(page, 'canvas.overlay'), mode).toBeGreaterThan(0.05);
      }
      expect((await state(page)).stages).toHaveProperty('preprocess');
    }
    await page.getByRole('tab', { name: 'Filters' }).click();
    await expect.poll(() => painted(page, '.filters canvas')).toBeGreaterThan(0.5);
    expect((await state(page)).mode).toBe('filters');
    expect(errors).toEqual([]);
  });

  test('an on-demand job reports progress and can be cancelled; the live view keeps running', async ({ page }) => {
    await page.goto('/?model=lite&backend=webgl');
    await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
    await page.getByRole('button', { name: 'Shapley values' }).click();
    await expect.poll(async () => (await state(page)).job?.progress ?? 0).toBeGreaterThan(0);
    await moreFrames(page, 1); // frames interleave with the job
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(async () => (await state(page)).job?.state).toBe('cancelled');
    expect((await state(page)).job!.progress).toBeLessThan(1);
    await page.getByRole('button', { name: 'Integrated gradients' }).click();
    await expect.poll(async () => (await state(page)).job?.state, { timeout: 90_000 }).toBe('done');
    expect(await painted(page, 'mode-result canvas')).toBeGreaterThan(0.9);
  });

  test('forced cpu backend runs; the HUD toggles with h', async ({ page }) => {
    await page.goto('/?model=lite&backend=cpu');
    await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
    expect((await state(page)).backend).toBe('cpu');
    await page.keyboard.press('h');
    await expect(page.getByTestId('hud')).toContainText('"backend": "cpu"');
    await page.keyboard.press('h');
    await expect(page.getByTestId('hud')).toHaveCount(0);
  });
});
