import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { moreFrames, state } from './helpers';

// The requests must reach page.route, not a service worker's precache.
test.use({ serviceWorkers: 'block' });

test.describe('resilience (lite model, WebGL)', () => {
  test('a crashed inference worker is restarted; frames continue and the notice clears', async ({ page }) => {
    await page.goto('/?model=lite&backend=webgl');
    await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
    await moreFrames(page, 2);
    const t0 = Date.now();
    await page.evaluate(() => window.convlens.simulate('crash'));
    await expect.poll(async () => (await state(page)).workerRestarts).toBe(1);
    const restarted = (await state(page)).frames;
    await expect.poll(async () => (await state(page)).frames, { timeout: 90_000 }).toBeGreaterThan(restarted);
    console.log(`worker crash → first frame from the new worker: ${Date.now() - t0} ms`);
    await moreFrames(page, 3);
    await expect.poll(async () => (await state(page)).error).toBeNull();
    expect(await state(page)).toMatchObject({ backend: 'webgl', source: 'camera', modelError: null });
    expect((await state(page)).top5[0]?.label).toBe('espresso');
  });

  test('a damaged or missing model file: an error screen naming it; "Try again" loads the model without a reload', async ({ page }) => {
    const shard = 'mobilenet_v1_0.25_224/group3-shard1of1';
    const good = readFileSync(`public/models/${shard}`);
    const damaged = Buffer.from(good);
    damaged[100] = damaged[100]! ^ 0x01;
    await page.route(`**/models/${shard}`, (route) => route.fulfill({ body: damaged, contentType: 'application/octet-stream' }));
    await page.goto('/?model=lite&backend=webgl');
    const screen = page.getByRole('alertdialog', { name: 'The model could not be loaded' });
    await expect(screen).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('model-error-message')).toHaveText(/^Model file mobilenet_v1_0\.25_224\/group3-shard1of1 is damaged \(checksum mismatch/);
    expect((await state(page)).modelError).toMatch(/group3-shard1of1 is damaged/);
    expect((await state(page)).frames).toBe(0);

    // Still broken, now missing: "Try again" (the focused button, so Enter works) reports the new problem.
    await page.unroute(`**/models/${shard}`);
    await page.route(`**/models/${shard}`, (route) => route.fulfill({ status: 404, body: 'not found' }));
    await expect(page.getByRole('button', { name: 'Try again' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('model-error-message')).toHaveText('Model file mobilenet_v1_0.25_224/group3-shard1of1 is missing (HTTP 404).');

    // Repaired: the next try loads and the live view starts, in the same page.
    await page.unroute(`**/models/${shard}`);
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
    await expect(screen).toHaveCount(0);
    expect(await state(page)).toMatchObject({ modelError: null, backend: 'webgl', source: 'camera' });
    expect(navigations).toEqual([]);
  });

  test('an unattended kiosk retries the model by itself until it loads', async ({ page }) => {
    const shard = 'mobilenet_v1_0.25_224/group3-shard1of1';
    await page.route('**/retry-kiosk.json', (route) => route.fulfill({ json: { retrySeconds: 2 } }));
    let requests = 0;
    await page.route(`**/models/${shard}`, (route) => (requests++, route.fulfill({ status: 404, body: 'not found' })));
    await page.goto('/?kiosk=retry-kiosk.json&model=lite&backend=webgl');
    await expect(page.getByRole('alertdialog', { name: 'The model could not be loaded' })).toBeVisible({ timeout: 60_000 });
    // Still missing on the next automatic tries (the file is asked for again, with nobody pressing anything) …
    const first = requests;
    await expect.poll(() => requests, { timeout: 30_000 }).toBeGreaterThanOrEqual(first + 2);
    // … and once the file is back, the kiosk comes up without anyone touching it.
    await page.unroute(`**/models/${shard}`);
    await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
    expect((await state(page)).modelError).toBeNull();
  });
});
