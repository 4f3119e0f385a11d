import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { DIST } from '../playwright.config';
import { state } from './helpers';
import { LITE, pinnedModelFiles, precachedPaths, waitForEspresso, waitForOffline } from './pwa-helpers';
import { type StaticServer, startStaticServer } from './static-server';

/**
 * Offline for real: the app is served by our own static server, which is STOPPED before the reload
 * (context.setOffline does not reliably cover the service worker's own fetches).
 */
test.describe('offline PWA', () => {
  let server: StaticServer | undefined;
  test.afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('after one online visit the app loads and classifies with the server stopped', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    server = await startStaticServer();
    await page.goto(`${server.origin}/?model=lite&backend=webgl`);
    // The one-time notice goes away by itself after a few seconds, so watch for it from the start, alongside the
    // model loading (on a loaded machine the service worker may finish installing long before the first frame).
    const noticeSeen = expect(page.getByTestId('offline-ready')).toContainText('Ready to work offline.', { timeout: 100_000 });
    await waitForEspresso(page);
    // Both models, the gallery and the shell are in the precache, and the worker controls the page.
    await waitForOffline(page);
    await noticeSeen;
    const cached = new Set(await precachedPaths(page));
    for (const path of ['/index.html', '/manifest.webmanifest', '/gallery/gallery.json', '/gallery/coffee.png', '/icons/icon-192.png']) expect(cached, path).toContain(path);
    expect([...cached].some((p) => /^\/assets\/inference\.worker-.*\.js$/.test(p)), 'worker bundle').toBe(true);
    expect([...cached].some((p) => p.endsWith('.woff2')), 'font').toBe(true);
    // The gallery's shipped features and photo credits are precached; the 183 photos are not (precache budget),
    // they are kept the first time they are fetched (runtime cache) and then served offline.
    for (const path of ['/gallery/features.json', '/gallery/features.bin', '/gallery/photos/ATTRIBUTION.csv', '/gallery/photos/LICENSE-kodak.txt']) expect(cached, path).toContain(path);
    expect([...cached].filter((p) => p.startsWith('/gallery/photos/') && p.endsWith('.jpg'))).toEqual([]);
    const photo = 'gallery/photos/kodak-hats-03.jpg';
    expect(await page.evaluate(async (url) => (await fetch(url)).ok, photo)).toBe(true);
    await expect.poll(() => page.evaluate(async () => (await (await caches.open('convlens-gallery-photos')).keys()).map((r) => new URL(r.url).pathname))).toEqual([`/${photo}`]);

    const origin = server.origin;
    await server.close();
    await expect(fetch(origin), 'the server is really gone').rejects.toThrow();

    await page.reload();
    await waitForEspresso(page);
    const s = await state(page);
    expect(s).toMatchObject({ model: 'lite', backend: 'webgl', source: 'camera', error: null });
    // Still cross-origin isolated (SharedArrayBuffer for WASM threads) with everything from the precache.
    expect(await page.evaluate(() => ({ isolated: crossOriginIsolated, sab: typeof SharedArrayBuffer }))).toEqual({ isolated: true, sab: 'function' });
    await expect(page.getByTestId('offline-ready'), 'shown once, not on every visit').toHaveCount(0);
    // The gallery is there too (fetched by the page through the service worker).
    const gallery = await page.evaluate(async () => {
      const res = await fetch('gallery/gallery.json');
      return { ok: res.ok, text: (await res.text()).length };
    });
    expect(gallery.ok).toBe(true);
    expect(gallery.text).toBeGreaterThan(10);
    // The photo fetched online comes from the runtime cache; one never fetched is not there.
    const photos = await page.evaluate(async (url) => ({ seen: (await fetch(url)).status, unseen: await fetch('gallery/photos/kodak-parrots-23.jpg').then((r) => r.status, () => 'failed') }), photo);
    expect(photos.seen).toBe(200);
    expect(photos.unseen).not.toBe(200);
    expect(errors).toEqual([]);
  });

  test('a model shard served corrupt fails the service worker install and is never cached; the page retries later', async ({ browser }) => {
    const shard = pinnedModelFiles(LITE)[1]!; // a weight shard (index 0 is model.json)
    const path = `/models/${shard}`;
    const bad = Uint8Array.from(readFileSync(join(DIST, 'models', shard)));
    bad[0] = bad[0]! ^ 0xff;
    server = await startStaticServer();
    server.override(path, bad);

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const swFetches: string[] = [];
      context.on('request', (r) => {
        if (r.serviceWorker()) swFetches.push(new URL(r.url()).pathname);
      });
      // Follow the worker the page registers through every state change.
      await page.addInitScript(() => {
        const states: string[] = [];
        (window as unknown as { __swStates: string[] }).__swStates = states;
        const register = ServiceWorkerContainer.prototype.register;
        ServiceWorkerContainer.prototype.register = async function (this: ServiceWorkerContainer, ...args: Parameters<typeof register>) {
          const registration = await register.apply(this, args);
          const followed = new Set<ServiceWorker>();
          const follow = (sw: ServiceWorker | null): void => {
            if (!sw || followed.has(sw)) return;
            followed.add(sw);
            states.push(sw.state);
            sw.addEventListener('statechange', () => states.push(sw.state));
          };
          follow(registration.installing);
          registration.addEventListener('updatefound', () => follow(registration.installing));
          return registration;
        };
      });
      await page.goto(`${server.origin}/?model=lite&backend=cpu`);
      const states = (): Promise<string[]> => page.evaluate(() => (window as unknown as { __swStates?: string[] }).__swStates ?? []);
      await expect.poll(states, { timeout: 90_000 }).toContain('redundant');
      expect(await states()).not.toContain('installed');
      expect(await states()).not.toContain('activated');
      expect(swFetches, 'the service worker did fetch the shard').toContain(path);
      expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
      expect(await precachedPaths(page)).not.toContain(path);

      // The server is repaired; the page (which a kiosk never reloads) tries again on its next update check
      // ('online' triggers one; so does the 30-minute timer) and now installs, shard included.
      server.override(path, null);
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await expect.poll(states, { timeout: 90_000 }).toContain('activated');
      await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state ?? null)).toBe('activated');
      expect(await precachedPaths(page)).toContain(path);
      await expect(page.getByTestId('offline-ready')).toContainText('Ready to work offline.');
    } finally {
      await context.close();
    }
  });
});
