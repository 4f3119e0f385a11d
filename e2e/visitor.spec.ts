import { expect, test } from '@playwright/test';
import { moreFrames, state } from './helpers';

/**
 * What a visitor sees says what is on screen: loading progress with the job buttons disabled, a stale overlay
 * marked "Computing …" until the new view's first frame, the occlusion sweep's progress, the saliency method
 * named in the caption, jobs in plain words with results mirrored like the live picture; and in kiosk mode plain
 * words and touch controls only, with the operator's detail in the HUD and the console.
 */

// Model files and kiosk files are held back or answered by routes; a service worker would answer first.
test.use({ serviceWorkers: 'block' });

const JOB_BUTTONS = ['Fine occlusion', 'Shapley values', 'Integrated gradients', 'Visualise the class', 'Universal perturbation', 'Nearest neighbours', 't-SNE map', 'PCA map', 'Add this frame to the gallery'];

test('while the model loads: a progress bar where the picture goes, and every job button disabled', async ({ page }) => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/models/**/model.json', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/?model=lite&backend=webgl');
  await expect(page.getByRole('progressbar', { name: 'Loading the model' })).toBeVisible();
  await expect(page.locator('stage-view .loading')).toContainText('Loading the model…');
  for (const name of JOB_BUTTONS) await expect(page.getByRole('button', { name, exact: true }), name).toBeDisabled();
  await expect(page.getByRole('button', { name: /^Fool: make this frame a/ })).toBeDisabled();
  expect((await state(page)).backend).toBeNull();
  release();
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  await expect(page.getByRole('progressbar', { name: 'Loading the model' })).toHaveCount(0);
  for (const name of JOB_BUTTONS) await expect(page.getByRole('button', { name, exact: true }), name).toBeEnabled();
});

test('says what is on screen: stale overlay, occlusion sweep, saliency method, jobs in words, mirrored results', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  await page.getByRole('tab', { name: 'Saliency' }).click();
  await moreFrames(page, 2);
  await expect(page.getByTestId('computing')).toHaveCount(0);

  // Right after the switch (before any Grad-CAM frame can exist) the saliency overlay is marked stale.
  const marked = await page.evaluate(async () => {
    const app = document.querySelector('convlens-app')!.shadowRoot!;
    const tab = [...app.querySelector('view-tabs')!.shadowRoot!.querySelectorAll<HTMLButtonElement>('[role=tab]')].find((t) => t.textContent === 'Grad-CAM')!;
    tab.click();
    const stage = app.querySelector('stage-view') as HTMLElement & { updateComplete: Promise<boolean> };
    await stage.updateComplete;
    return {
      badge: stage.shadowRoot!.querySelector('[data-testid=computing]')?.textContent,
      stale: stage.shadowRoot!.querySelector('canvas.overlay')!.classList.contains('stale'),
      frameMode: window.convlens.state().mode,
    };
  });
  expect(marked).toEqual({ badge: 'Computing Grad-CAM…', stale: true, frameMode: 'gradcam' });
  await moreFrames(page, 2);
  await expect(page.getByTestId('computing')).toHaveCount(0);
  expect(await page.locator('canvas.overlay').evaluate((c) => c.classList.contains('stale'))).toBe(false);

  // The occlusion sweep shows its progress where the map is drawn, until it is complete.
  await page.getByRole('tab', { name: 'Occlusion' }).click();
  await expect(page.getByTestId('sweep')).toContainText(/Occlusion sweep \d+ %/, { timeout: 60_000 });
  await expect(page.getByTestId('sweep')).toHaveCount(0, { timeout: 120_000 });

  // The saliency caption names the method that made the map.
  await page.getByRole('tab', { name: 'Saliency' }).click();
  await page.getByRole('button', { name: 'Guided backprop' }).click();
  await moreFrames(page, 2);
  await expect(page.locator('.caption')).toContainText('(guided backprop)');
  await page.getByRole('button', { name: 'SmoothGrad' }).click();
  await moreFrames(page, 2);
  await expect(page.locator('.caption')).toContainText('(SmoothGrad');

  // A job in plain words; its picture of the frame mirrored like the (mirrored) live picture.
  await page.getByRole('button', { name: 'Add this frame to the gallery' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 90_000 }).toBe('done');
  await expect(page.getByTestId('job-status')).toHaveText(/^Snapshot: ready \(took [\d.]+ s\)$/);
  expect(await page.locator('stage-view .mirror').evaluate((el) => el.classList.contains('mirrored'))).toBe(true);
  await expect(page.locator('snapshot-result canvas')).toHaveClass(/mirrored/);
  await page.getByRole('button', { name: 'Back to the live view' }).click();
  await expect(page.locator('mode-result')).toHaveCount(0);
  await expect(page.getByText('Snapshot: ready')).toBeVisible(); // still said beside the job buttons
});

test('kiosk: plain words and touch controls for visitors; the technical text in the HUD', async ({ page }) => {
  test.setTimeout(300_000);
  await page.route('**/words-kiosk.json', (route) => route.fulfill({ json: { views: ['saliency', 'activations'], tools: true } }));
  await page.goto('/?kiosk=words-kiosk.json&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  await expect(page.getByTestId('backend')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toHaveCount(0);
  await expect(page.locator('app-header')).not.toContainText(/\d+ ms|webgl|lite/);
  await expect(page.locator('input[type=search], input[type=text], input[type=file]')).toHaveCount(0);
  await expect(page.getByRole('group', { name: 'How to measure which pixels matter' }).getByRole('button')).toHaveText(['Plain', 'Sharper', 'Smoother']);

  // The class to explain, by touch: one of the classes the network sees now.
  await page.getByRole('group', { name: 'Which answer to explain' }).getByRole('button', { name: 'consomme' }).click();
  await moreFrames(page, 2);
  await expect(page.locator('.caption')).toContainText('“consomme”');
  await page.getByRole('group', { name: 'Which answer to explain' }).getByRole('button', { name: 'The top class' }).click();
  // The class to aim at, by touch, from a list of common classes.
  await page.getByRole('group', { name: 'Class to aim at' }).getByRole('button', { name: 'tabby cat' }).click();
  await expect(page.getByRole('button', { name: 'Fool: make this frame a tabby cat' })).toBeVisible();

  // The operator's view keeps the technical text.
  await page.keyboard.press('h');
  await expect(page.getByTestId('hud')).toContainText(/status: Model lite on webgl: loaded(, warmed up and timed)? in \d+ ms/);
  await expect(page.getByTestId('hud')).toContainText('"backend": "webgl"');
});

test('kiosk: the model error screen asks visitors to call staff; the operator detail is in the HUD and the console', async ({ page }) => {
  const console: string[] = [];
  page.on('console', (m) => console.push(m.text()));
  await page.route('**/models/mobilenet_v1_0.25_224/group3-shard1of1', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto('/?kiosk&model=lite&backend=webgl');
  const screen = page.getByRole('alertdialog', { name: 'The model could not be loaded' });
  await expect(screen).toBeVisible({ timeout: 60_000 });
  await expect(screen).toContainText('Please tell a member of staff');
  await expect(screen).not.toContainText(/npm|shard|HTTP|checksum/);
  await page.keyboard.press('h');
  await expect(page.getByTestId('hud')).toBeVisible();
  await expect(page.getByTestId('hud')).toContainText('model error: Model file mobilenet_v1_0.25_224/group3-shard1of1 is missing (HTTP 404).');
  expect(console.some((line) => line.includes('The model could not be loaded: Model file mobilenet_v1_0.25_224/group3-shard1of1 is missing (HTTP 404).'))).toBe(true);
});
