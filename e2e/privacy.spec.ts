import { type BrowserContext, type Page, expect, test } from '@playwright/test';
import { moreFrames, painted, state } from './helpers';
import { waitForEspresso, waitForOffline, watchCsp } from './pwa-helpers';

/**
 * Nothing leaves the app's origin: every request of the page, its workers and the service worker (Playwright
 * reports service-worker requests on the context by default since 1.5x; request.serviceWorker() names them)
 * goes to the origin that served the app, through every live view and an on-demand job. The CSP (header from
 * `vite preview` plus the build's <meta>) is never violated.
 */

interface Recorded {
  url: string;
  fromServiceWorker: boolean;
}

function recordRequests(context: BrowserContext): Recorded[] {
  const seen: Recorded[] = [];
  context.on('request', (request) => seen.push({ url: request.url(), fromServiceWorker: request.serviceWorker() !== null }));
  return seen;
}

/** Requests to any other origin (data: and blob: URLs are in-page and allowed). */
function foreign(requests: Recorded[], origin: string): string[] {
  return requests.map((r) => r.url).filter((url) => !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin);
}

async function throughEveryView(page: Page): Promise<void> {
  await moreFrames(page);
  await page.locator('activation-grid canvas').click({ position: { x: 5, y: 5 } });
  await moreFrames(page);
  for (const [tab, mode] of [['Saliency', 'saliency'], ['Grad-CAM', 'gradcam'], ['Occlusion', 'occlusion']] as const) {
    await page.getByRole('tab', { name: tab }).click();
    await moreFrames(page, 2);
    expect((await state(page)).mode).toBe(mode);
  }
  await page.getByRole('tab', { name: 'Filters' }).click();
  await expect.poll(() => painted(page, '.filters canvas')).toBeGreaterThan(0.5);
  await page.getByRole('tab', { name: 'Activations' }).click();
  await moreFrames(page, 1);
}

test.describe('privacy and CSP', () => {
  test('every request stays on the app origin (page, workers, service worker); no CSP violation (webgl)', async ({ page, context, baseURL }) => {
    const origin = new URL(baseURL!).origin;
    const requests = recordRequests(context);
    const violations = await watchCsp(context, page);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto('/?model=lite&backend=webgl');
    await waitForEspresso(page);
    // The service worker's own fetches (the whole precache) happen during the recording.
    await waitForOffline(page);
    await throughEveryView(page);
    await page.getByRole('button', { name: 'Integrated gradients' }).click();
    await expect.poll(async () => (await state(page)).job?.state, { timeout: 90_000 }).toBe('done');
    await moreFrames(page, 1);

    expect(requests.filter((r) => r.fromServiceWorker).length, 'service-worker requests are recorded').toBeGreaterThan(100);
    expect(requests.some((r) => /inference\.worker-.*\.js$/.test(r.url)), 'the inference worker bundle is recorded').toBe(true);
    expect(foreign(requests, origin)).toEqual([]);
    // The policy really is in force (header and meta).
    const response = await page.request.get('/');
    expect(response.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toContain("script-src 'self'");
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('the cpu backend runs under the same CSP without violations', async ({ page, context, baseURL }) => {
    const origin = new URL(baseURL!).origin;
    const requests = recordRequests(context);
    const violations = await watchCsp(context, page);
    await page.goto('/?model=lite&backend=cpu');
    await waitForEspresso(page);
    expect((await state(page)).backend).toBe('cpu');
    await page.getByRole('tab', { name: 'Saliency' }).click();
    await moreFrames(page, 2);
    expect(foreign(requests, origin)).toEqual([]);
    expect(await violations()).toEqual([]);
  });

  test('kiosk and lecture modes run under the CSP without violations', async ({ page, context }) => {
    const violations = await watchCsp(context, page);
    await page.goto('/?kiosk&model=lite&backend=cpu');
    await waitForEspresso(page);
    await moreFrames(page, 2);
    await page.goto('/?lecture&model=lite&backend=cpu');
    await waitForEspresso(page);
    await page.keyboard.press('?');
    await expect(page.getByRole('dialog')).toBeVisible();
    await page.keyboard.press('Escape');
    await moreFrames(page, 2);
    expect(await violations()).toEqual([]);
  });

  test('the CSP catches what it should: an injected inline script and a foreign fetch are reported', async ({ page, context }) => {
    const violations = await watchCsp(context, page);
    await page.goto('/?model=lite&backend=cpu');
    await waitForEspresso(page);
    await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.head.append(script);
      await fetch('http://192.0.2.1/leak').catch(() => undefined);
    });
    expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
    await expect.poll(async () => (await violations()).join('\n')).toMatch(/script-src-elem|script-src/);
    await expect.poll(async () => (await violations()).join('\n')).toMatch(/connect-src/);
  });

  test('Chromium considers the app installable: manifest without errors, no installability errors', async ({ playwright, baseURL }, testInfo) => {
    // A normal (persistent) profile: Chromium never offers installation in the incognito-like default contexts.
    const context = await playwright.chromium.launchPersistentContext(testInfo.outputPath('profile'), { ...testInfo.project.use.launchOptions, baseURL: baseURL! });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto('/?model=lite&backend=cpu');
      await waitForEspresso(page);
      await waitForOffline(page, []);
      const cdp = await context.newCDPSession(page);
      const manifest = await cdp.send('Page.getAppManifest');
      expect(manifest.url).toMatch(/\/manifest\.webmanifest$/);
      expect(manifest.errors).toEqual([]);
      const data = JSON.parse(manifest.data ?? '{}') as { name?: string; display?: string; icons?: { sizes: string; purpose?: string }[] };
      expect(data).toMatchObject({ name: 'ConvLens', display: 'standalone' });
      expect(data.icons?.map((i) => `${i.sizes} ${i.purpose ?? 'any'}`)).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      expect(installabilityErrors).toEqual([]);
      // Every icon the manifest and the page name is served as a PNG of the stated size.
      for (const [path, size] of [['/icons/icon-192.png', 192], ['/icons/icon-512.png', 512], ['/icons/icon-512-maskable.png', 512], ['/icons/apple-touch-icon.png', 180]] as const) {
        const res = await page.request.get(path);
        expect(res.headers()['content-type'], path).toBe('image/png');
        const png = await res.body();
        expect([png.readUInt32BE(16), png.readUInt32BE(20)], path).toEqual([size, size]);
      }
    } finally {
      await context.close();
    }
  });
});
