import { type Page, type TestInfo, expect, test } from '@playwright/test';
import { moreFrames, state } from './helpers';
import { layoutProblems } from './layout-checks';

/**
 * The app on every screen it is meant for: phone portrait and landscape, tablet, laptop, the 1920×1080 kiosk and
 * a 4K projector, in the plain app, the kiosk and the lecture mode. At each size and in each state (the activation
 * grid, a live overlay, a job's result on the stage, the shortcut list) nothing overlaps, nothing is cut off, every
 * control is hit where it is drawn, and the picture gets a real share of the screen. A screenshot of each is kept
 * in the test's output folder.
 */

// The kiosk file is served by a route; service workers would answer before routes do.
test.use({ serviceWorkers: 'block' });

const SIZES = [
  { name: 'phone-portrait', width: 390, height: 844 },
  { name: 'phone-landscape', width: 844, height: 390 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'laptop', width: 1280, height: 720 },
  { name: 'kiosk', width: 1920, height: 1080 },
  { name: 'projector', width: 3840, height: 2160 },
] as const;

/** The picture area on the stage (CSS px). */
function pictureBox(page: Page): Promise<{ width: number; height: number }> {
  return page.locator('stage-view .picture').evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { width: r.width, height: r.height };
  });
}

async function checkAt(page: Page, testInfo: TestInfo, size: (typeof SIZES)[number], what: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300); // layout and the overlay's placement settle
  const shot = testInfo.outputPath(`${size.name}-${what}.png`);
  await page.screenshot({ path: shot });
  await testInfo.attach(`${size.name}-${what}`, { path: shot, contentType: 'image/png' });
  expect(await layoutProblems(page), `${size.name} ${size.width}×${size.height}, ${what}`).toEqual([]);
  const picture = await pictureBox(page);
  // The picture gets a real share of the screen (the phone used to get 6×0 px).
  expect(Math.min(picture.width, picture.height), `${size.name}: picture ${picture.width}×${picture.height}`).toBeGreaterThanOrEqual(Math.min(size.width, size.height) * 0.4);
}

test('the app at every size: grid, overlay, a job on the stage, the shortcut list', async ({ page }, testInfo) => {
  test.setTimeout(600_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  await page.getByRole('button', { name: 'PCA map' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 180_000 }).toBe('done');
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.getByRole('button', { name: 'Back to the live view' }).click();
    await page.getByRole('tab', { name: 'Activations' }).click();
    await moreFrames(page, 1);
    await checkAt(page, testInfo, size, 'activations');
    await page.getByRole('tab', { name: 'Saliency' }).click();
    await moreFrames(page, 2);
    await checkAt(page, testInfo, size, 'saliency');
    await page.getByRole('button', { name: 'Show it on the stage' }).click();
    await checkAt(page, testInfo, size, 'pca-map');
    if (size.width >= 768) {
      await page.keyboard.press('?');
      await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
      const shot = testInfo.outputPath(`${size.name}-shortcuts.png`);
      await page.screenshot({ path: shot });
      expect(await layoutProblems(page), `${size.name}: the shortcut list`).toEqual([]);
      await page.keyboard.press('Escape');
    }
  }
});

test('the kiosk at every size, and its attract loop beside the picture, not over it', async ({ page }, testInfo) => {
  test.setTimeout(600_000);
  await page.route('**/layout-kiosk.json', (route) => route.fulfill({ json: { views: ['saliency', 'activations', 'gradcam'], tools: true, attractAfterSeconds: 600, idleResetSeconds: 900 } }));
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto('/?kiosk=layout-kiosk.json&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.getByRole('tab', { name: 'Saliency' }).click();
    await moreFrames(page, 1);
    await checkAt(page, testInfo, size, 'kiosk-saliency');
    await page.getByRole('tab', { name: 'Activations' }).click();
    await moreFrames(page, 1);
    await checkAt(page, testInfo, size, 'kiosk-activations');
  }
});

test('the attract loop sits beside the picture and hides none of it', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await page.route('**/attract-kiosk.json', (route) => route.fulfill({ json: { views: ['saliency', 'gradcam'], attractAfterSeconds: 3, attractViewSeconds: 60, idleResetSeconds: 900 } }));
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto('/?kiosk=attract-kiosk.json&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).kiosk?.attract, { timeout: 180_000 }).toBe(true);
  await moreFrames(page, 1);
  for (const size of [SIZES[0], SIZES[3], SIZES[4], SIZES[5]]) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await checkAt(page, testInfo, size, 'attract');
    const [attract, picture] = await Promise.all([page.getByTestId('attract').boundingBox(), page.locator('stage-view .picture').boundingBox()]);
    expect(attract!.y, `${size.name}: the attract panel starts below the picture`).toBeGreaterThanOrEqual(picture!.y + picture!.height - 1);
  }
  // One caption, not "Saliency: Saliency: …".
  await expect(page.getByTestId('attract').locator('.big')).toHaveText('Saliency');
});

test('lecture at 1280×720 and on a 4K projector: one-line header, the whole shortcut list readable', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?lecture&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  for (const size of [SIZES[3], SIZES[5]]) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await checkAt(page, testInfo, size, 'lecture');
    const [title, freeze] = await Promise.all([page.locator('h1').boundingBox(), page.getByRole('button', { name: 'Freeze' }).boundingBox()]);
    expect(Math.abs(title!.y + title!.height / 2 - (freeze!.y + freeze!.height / 2)), `${size.name}: title and tools on one line`).toBeLessThan(12);
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(dialog).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath(`${size.name}-lecture-shortcuts.png`) });
    expect(await layoutProblems(page), `${size.name}: lecture shortcut list`).toEqual([]);
    await page.keyboard.press('Escape');
  }
});

test('a phone in portrait: a job started from the side panel below the stage comes into view', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  const button = page.getByRole('button', { name: 'Fine occlusion' });
  await button.scrollIntoViewIfNeeded();
  const scrolled = await page.evaluate(() => window.scrollY);
  expect(scrolled, 'the job buttons lie below the stage on a phone').toBeGreaterThan(400);
  await button.click();
  // The job panel's head (title, status, Cancel) is brought on screen, not left above the viewport.
  const status = page.getByTestId('job-status');
  await expect.poll(async () => {
    const b = await status.boundingBox();
    return b !== null && b.y >= 0 && b.y + b.height <= 844;
  }, { timeout: 10_000, message: 'the job status is in view' }).toBe(true);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 30_000 }).toBe('cancelled');
});
