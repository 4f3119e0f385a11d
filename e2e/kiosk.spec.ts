import { type Page, expect, test } from '@playwright/test';
import { moreFrames, state } from './helpers';

// The kiosk file is served by a route; service workers would answer before routes do, so they are off here.
test.use({ serviceWorkers: 'block' });

const KIOSK = {
  views: ['saliency', 'activations', 'gradcam'],
  layer: 'conv_pw_5_relu',
  attractAfterSeconds: 4,
  attractViewSeconds: 2,
  idleResetSeconds: 9,
  tools: true,
  strings: { title: 'Lens test', viewNames: { saliency: 'Where it looks' }, attractPrompt: 'Touch to explore!' },
};

/** The origin ('import' or 'snapshot') of every picture stored in the gallery's IndexedDB. */
function storedOrigins(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('convlens-gallery');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('images')) return resolve([]);
          const all = db.transaction('images').objectStore('images').getAll();
          all.onsuccess = () => {
            resolve((all.result as { origin: string }[]).map((r) => r.origin));
            db.close();
          };
        };
      }),
  );
}

test('kiosk: configured views and strings, locked down, attract loop when idle, idle reset, touch wakes it', async ({ page }) => {
  await page.route('**/e2e-kiosk.json', (route) => route.fulfill({ json: KIOSK }));
  await page.goto('/?kiosk=e2e-kiosk.json&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  const s = await state(page);
  expect(s.views).toEqual(KIOSK.views);
  expect(s.mode).toBe('saliency');
  expect(s.layer).toBe('conv_pw_5_relu');
  expect(s.kiosk).toMatchObject({ attract: false, problems: [] });
  // Headless Chromium grants the screen wake lock to a visible page.
  expect(s.kiosk!.wakeLock).toBe('held');
  await expect(page.locator('h1')).toHaveText('Lens test');
  await expect(page.getByRole('tab')).toHaveText(['Where it looks', 'Activations', 'Grad-CAM']);

  // Locked down: no context menu, no text selection, no file pickers, no figure downloads, no way back.
  const prevented = await page.evaluate(() => {
    const event = new MouseEvent('contextmenu', { bubbles: true, cancelable: true });
    document.querySelector('convlens-app')!.dispatchEvent(event);
    return event.defaultPrevented;
  });
  expect(prevented).toBe(true);
  expect(await page.locator('convlens-app').evaluate((el) => getComputedStyle(el).userSelect)).toBe('none');
  await expect(page.locator('input[type=file]')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Export figure' })).toHaveCount(0);
  await page.evaluate(() => history.back());
  await page.waitForTimeout(300);
  expect(page.url()).toContain('kiosk=e2e-kiosk.json');

  // A visitor picks a picture, a layer channel and freezes the frame …
  await page.getByRole('tab', { name: 'Activations' }).click();
  await page.getByRole('button', { name: 'chelsea' }).click();
  await expect.poll(async () => (await state(page)).source).toBe('image');
  await moreFrames(page, 1);
  await page.locator('activation-grid canvas').click({ position: { x: 5, y: 5 } });
  await page.getByRole('button', { name: 'Freeze' }).click();
  expect(await state(page)).toMatchObject({ frozen: true, channel: 0, mode: 'activations' });
  // … and saves a snapshot to the gallery (stored in IndexedDB until the visitor leaves).
  await page.getByRole('button', { name: 'Add this frame to the gallery' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 60_000 }).toBe('done');
  await expect.poll(() => storedOrigins(page)).toContain('snapshot');

  // … then walks away: the attract loop cycles the views with large captions …
  await expect.poll(async () => (await state(page)).kiosk?.attract, { timeout: 10_000 }).toBe(true);
  await expect(page.getByTestId('attract')).toContainText('Touch to explore!');
  const fontPx = await page.getByTestId('attract').locator('.big').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  expect(fontPx).toBeGreaterThanOrEqual(28);
  const seen = new Set<string>();
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    seen.add((await state(page)).mode);
    await page.waitForTimeout(250);
  }
  expect(seen.size).toBeGreaterThanOrEqual(2);

  // … and after the idle time the visitor's session is reset: camera back, unfrozen, no channel chosen.
  await expect.poll(async () => (await state(page)).kiosk?.resets, { timeout: 15_000 }).toBe(1);
  await expect.poll(async () => (await state(page)).source).toBe('camera');
  expect(await state(page)).toMatchObject({ frozen: false, channel: -1, layer: 'conv_pw_5_relu' });
  await expect.poll(() => storedOrigins(page)).not.toContain('snapshot');
  await moreFrames(page, 1);
  expect((await state(page)).top5[0]?.label).toBe('espresso');

  // A touch ends the attract loop.
  await page.locator('.caption').click();
  expect((await state(page)).kiosk?.attract).toBe(false);
  await expect(page.getByTestId('attract')).toHaveCount(0);
});

test('kiosk: a broken kiosk file is reported and the defaults run', async ({ page }) => {
  await page.route('**/broken-kiosk.json', (route) => route.fulfill({ json: { views: ['nonsense'], layer: 'conv_pw_99_relu', attractAfterSeconds: 'soon' } }));
  await page.goto('/?kiosk=broken-kiosk.json&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  const s = await state(page);
  expect(s.views).toEqual(['activations', 'saliency', 'gradcam', 'occlusion', 'filters']);
  expect(s.kiosk!.problems.join(' | ')).toMatch(/unknown view "nonsense".*attractAfterSeconds.*unknown layer "conv_pw_99_relu"/);
  expect(s.layer).toBe('conv_pw_3_relu');
});
