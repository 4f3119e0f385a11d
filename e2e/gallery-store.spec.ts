import AxeBuilder from '@axe-core/playwright';
import { type Locator, type Page, expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { state } from './helpers';

/**
 * The stored gallery in IndexedDB: imports through the file picker, drag and drop and a gallery file, one message
 * per refused file, persistence across reloads, the worker's gallery jobs seeing stored pictures, export/import,
 * visitors' snapshots forgotten while imports stay, and a full disk (a tiny quota set over CDP).
 */

const gallery = (name: string): Buffer => readFileSync(`public/gallery/${name}`);

/** The same picture, different bytes: a PNG with one more (valid) text chunk before IEND. */
function pngWithText(png: Buffer, note: string): Buffer {
  const data = Buffer.from(`Comment\0${note}`, 'latin1');
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return Buffer.concat([png.subarray(0, -12), chunk, png.subarray(-12)]);
}

/** The same picture, different bytes: a JPEG with a comment segment after its start marker. */
function jpegWithComment(jpeg: Buffer, note: string): Buffer {
  const text = Buffer.from(note, 'latin1');
  const segment = Buffer.concat([Buffer.from([0xff, 0xfe, (text.length + 2) >> 8, (text.length + 2) & 255]), text]);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

const file = (name: string, mimeType: string, buffer: Buffer) => ({ name, mimeType, buffer });
const coffeeCopy = file('coffee-copy.png', 'image/png', pngWithText(gallery('coffee.png'), 'a copy'));
const rocketCopy = file('rocket-copy.jpg', 'image/jpeg', jpegWithComment(gallery('rocket.jpg'), 'a copy'));

const panel = (page: Page): Locator => page.locator('gallery-panel');
const results = (page: Page): Locator => panel(page).locator('[data-testid="gallery-results"] li');
const storedNames = (page: Page): Locator => panel(page).locator('ul.images .label');

async function pickFiles(page: Page, button: string, files: Parameters<import('@playwright/test').FileChooser['setFiles']>[0]): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), panel(page).getByRole('button', { name: button, exact: true }).click()]);
  await chooser.setFiles(files);
}

async function expectStored(page: Page, names: string[]): Promise<void> {
  await expect(storedNames(page)).toHaveText(names);
}

test('import, refuse one by one, persist, feed the worker, export and restore, forget snapshots', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await page.goto('/?model=lite&backend=webgl');
  // Listen for the file chooser well before the key press: Playwright switches its file-chooser interception on
  // asynchronously when the first listener is added, and a key press sent at once could open the chooser before
  // that (seen: 1 of 20 tries gave no 'filechooser' event although the page clicked the input; 0 of 12 with the
  // listener added first). Nothing else can open a chooser before the Enter below.
  const chooserOpened = page.waitForEvent('filechooser');
  await expect(panel(page).getByText('No pictures stored yet')).toBeVisible();

  const huge = pngWithText(gallery('clock_motion.png'), 'x'.repeat(8.5 * 1024 * 1024));
  // Keyboard: the import button takes the focus and Enter opens the file chooser.
  await panel(page).getByRole('button', { name: 'Import images', exact: true }).focus();
  await page.keyboard.press('Enter');
  const chooser = await chooserOpened;
  expect(chooser.isMultiple()).toBe(true);
  await chooser.setFiles([
    coffeeCopy,
    file('notes.png', 'image/png', Buffer.from('Shopping list: milk, coffee, film for the camera.\n')),
    file('cut.jpg', 'image/jpeg', gallery('rocket.jpg').subarray(0, 60_000)),
    file('huge.png', 'image/png', huge),
    file('old.bmp', 'image/bmp', readFileSync('tests/fixtures/gallery/chelsea-16.bmp')),
    file('coffee.png', 'image/png', gallery('coffee.png')),
    rocketCopy,
  ]);
  await expect(results(page)).toHaveCount(7);
  await expect(results(page)).toHaveText([
    /^coffee-copy\.png: added \(456 KB\)$/,
    'notes.png: not an image (it is text)',
    'cut.jpg: truncated: the JPEG ends before its end marker (FFD9)',
    `huge.png: too large: 8.6 MB (the limit is 8 MB)`,
    'old.bmp: unsupported image type BMP (accepted: PNG, JPEG, WebP or GIF)',
    'coffee.png: already in the gallery as coffee.png (bundled); skipped',
    /^rocket-copy\.jpg: added/,
  ]);
  for (const i of [1, 2, 3, 4]) await expect(results(page).nth(i)).toHaveClass('rejected');
  await expect(panel(page).locator('[data-testid="gallery-results"] p')).toHaveText('2 added, 1 already there, 4 refused.');
  await expectStored(page, ['coffee-copy.png', 'rocket-copy.jpg']);
  await expect(panel(page).locator('ul.images img').first()).toHaveAttribute('src', /^blob:/);
  expect(await panel(page).locator('ul.images img').first().evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).toBeGreaterThan(100);
  // The panel with its list and refusals: no serious or critical axe findings; a visible focus ring.
  const axe = await new AxeBuilder({ page }).include({ fromShadowDom: ['convlens-app', 'gallery-panel'] }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
  await panel(page).getByRole('button', { name: 'Import images', exact: true }).focus();
  await page.keyboard.press('Tab');
  expect(await panel(page).evaluate((el) => [el.shadowRoot!.activeElement?.textContent, getComputedStyle(el.shadowRoot!.activeElement!).outlineStyle])).toEqual([
    'Import gallery file',
    'solid',
  ]);

  // Drag and drop: a DataTransfer made in the page, dropped on the panel.
  const gif = readFileSync('tests/fixtures/gallery/chelsea-64.gif').toString('base64');
  const dataTransfer = await page.evaluateHandle((b64) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped-cat.gif', { type: 'image/gif' }));
    dt.items.add(new File(['not really'], 'dropped.webp', { type: 'image/webp' }));
    return dt;
  }, gif);
  await panel(page).locator('[data-testid="gallery-drop"]').dispatchEvent('drop', { dataTransfer });
  await expect(results(page)).toHaveText([/^dropped-cat\.gif: added/, 'dropped.webp: not an image (it is text)']);
  await expectStored(page, ['coffee-copy.png', 'rocket-copy.jpg', 'dropped-cat.gif']);

  // A reload keeps everything; the worker's gallery jobs read the store (190 bundled + 3 stored).
  await page.reload();
  await expectStored(page, ['coffee-copy.png', 'rocket-copy.jpg', 'dropped-cat.gif']);
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  await page.getByRole('button', { name: 'Nearest neighbours' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 90_000 }).toBe('done');
  // The camera shows coffee.png: the bundled picture and the stored copy (same pixels) are the two nearest.
  const cosine = page.locator('mode-result [data-view="feature/cosine"] img');
  expect((await cosine.evaluateAll((imgs) => imgs.slice(0, 2).map((i) => i.getAttribute('alt')))).sort()).toEqual(['coffee-copy.png', 'coffee.png']);
  await expect(cosine.and(page.locator('[alt="coffee-copy.png"]'))).toHaveAttribute('src', /^blob:/);

  await page.getByRole('button', { name: 'Add this frame to the gallery' }).click();
  await expect(page.locator('mode-result')).toContainText('The gallery now has 194 pictures');
  await expectStored(page, ['coffee-copy.png', 'rocket-copy.jpg', 'dropped-cat.gif', 'snapshot 1']);
  await expect(panel(page).locator('ul.images li').last()).toContainText('visitor snapshot');

  // Export → remove all → import the file → the same four, the snapshot still a snapshot.
  const [download] = await Promise.all([page.waitForEvent('download'), panel(page).getByRole('button', { name: 'Export gallery' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^gallery-\d{4}-\d\d-\d\d\.convlens-gallery\.json$/);
  const bundlePath = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(bundlePath);
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as { format: string; version: number; images: { name: string; origin: string; data: string }[] };
  expect(bundle.format).toBe('convlens-gallery');
  expect(bundle.images.map((i) => [i.name, i.origin])).toEqual([
    ['coffee-copy.png', 'import'],
    ['rocket-copy.jpg', 'import'],
    ['dropped-cat.gif', 'import'],
    ['snapshot 1', 'snapshot'],
  ]);
  expect(Buffer.from(bundle.images[1]!.data, 'base64').equals(rocketCopy.buffer)).toBe(true);

  const names = ['coffee-copy.png', 'rocket-copy.jpg', 'dropped-cat.gif', 'snapshot 1'];
  for (const [i, name] of names.entries()) {
    await panel(page).getByRole('button', { name: `Remove ${name}` }).click();
    await expectStored(page, names.slice(i + 1));
    // Focus stays in the list (the next Remove button), or goes to the first import button when it is empty.
    const focused = await panel(page).evaluate((el) => el.shadowRoot?.activeElement?.textContent?.trim() ?? '');
    expect(focused).toBe(i < names.length - 1 ? 'Remove' : 'Import images');
  }
  await expect(panel(page).getByText('No pictures stored yet')).toBeVisible();
  await pickFiles(page, 'Import gallery file', bundlePath);
  await expect(results(page)).toHaveCount(4);
  await expectStored(page, ['coffee-copy.png', 'rocket-copy.jpg', 'dropped-cat.gif', 'snapshot 1']);
  await expect(panel(page).locator('ul.images li').last()).toContainText('visitor snapshot');

  // Kiosk idle reset: the visitor's snapshot goes, the imported pictures stay (also after a reload).
  await panel(page).getByRole('button', { name: "Forget visitors' snapshots" }).click();
  await expect(results(page)).toHaveText(['Forgot 1 visitor snapshot.']);
  await expectStored(page, ['coffee-copy.png', 'rocket-copy.jpg', 'dropped-cat.gif']);
  await page.reload();
  await expectStored(page, ['coffee-copy.png', 'rocket-copy.jpg', 'dropped-cat.gif']);

  // A damaged gallery file is refused as a whole; nothing stored is touched.
  await pickFiles(page, 'Import gallery file', { name: 'cut.convlens-gallery.json', mimeType: 'application/json', buffer: readFileSync(bundlePath).subarray(0, 5000) });
  await expect(results(page)).toHaveText(['cut.convlens-gallery.json: not a readable ConvLens gallery file (the JSON is damaged or cut off)']);
  await expectStored(page, ['coffee-copy.png', 'rocket-copy.jpg', 'dropped-cat.gif']);
});

test('a full disk: "Storage is full" per file, and what was stored stays', async ({ playwright, baseURL }, testInfo) => {
  test.setTimeout(180_000);
  // A profile on disk: Chromium's off-the-record contexts (Playwright's default) keep IndexedDB without a quota.
  const context = await playwright.chromium.launchPersistentContext(testInfo.outputPath('profile'), { ...testInfo.project.use.launchOptions, baseURL: baseURL! });
  const page = context.pages()[0] ?? (await context.newPage());
  try {
    await page.goto('/?model=lite&backend=cpu');
    await pickFiles(page, 'Import images', [coffeeCopy]);
    await expectStored(page, ['coffee-copy.png']);

    const cdp = await context.newCDPSession(page);
    const origin = new URL(page.url()).origin;
    const { usage } = await cdp.send('Storage.getUsageAndQuota', { origin });
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 16 * 1024 });
    expect(await cdp.send('Storage.getUsageAndQuota', { origin })).toMatchObject({ quota: usage + 16 * 1024, overrideActive: true });
    // IndexedDB keeps each origin's remaining space cached while it has open connections: close them all (page
    // and worker) for a few seconds so the new quota applies, as it would after a restart.
    await page.goto('about:blank');
    await page.waitForTimeout(5000);
    await page.goto('/?model=lite&backend=cpu');
    await expectStored(page, ['coffee-copy.png']);
    await pickFiles(page, 'Import images', [rocketCopy, file('camera-copy.png', 'image/png', pngWithText(gallery('camera.png'), 'a copy'))]);
    await expect(results(page)).toHaveText([
      'Storage is full: rocket-copy.jpg was not stored (QuotaExceededError). Remove some pictures to make room.',
      /^Storage is full: camera-copy\.png was not stored/,
    ]);
    await expect(results(page).first()).toHaveClass('failed');
    await expectStored(page, ['coffee-copy.png']);
    await page.reload();
    await expectStored(page, ['coffee-copy.png']);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  } finally {
    await context.close();
  }
});
