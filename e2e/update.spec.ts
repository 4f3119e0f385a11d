import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { DIST } from '../playwright.config';
import { moreFrames, state } from './helpers';
import { controllerState, waitForEspresso, waitForOffline } from './pwa-helpers';
import { type StaticServer, startStaticServer } from './static-server';

/** A "new build": the built sw.js plus a line that answers which version it is (bytes differ, so it updates). */
function nextBuild(version: string): string {
  return `${readFileSync(join(DIST, 'sw.js'), 'utf8')}
self.addEventListener('message', (e) => { if (e.data && e.data.type === 'CONVLENS_TEST_VERSION') e.ports[0].postMessage(${JSON.stringify(version)}); });
`;
}

/** Which version the controlling service worker says it is ('original' for the real build, which does not answer). */
function controllerVersion(page: Page): Promise<string | null> {
  return page.evaluate(
    () =>
      new Promise<string | null>((resolve) => {
        const controller = navigator.serviceWorker.controller;
        if (!controller) return resolve(null);
        const channel = new MessageChannel();
        channel.port1.onmessage = (e: MessageEvent<string>) => resolve(e.data);
        controller.postMessage({ type: 'CONVLENS_TEST_VERSION' }, [channel.port2]);
        setTimeout(() => resolve('original'), 1500);
      }),
  );
}

function checkForUpdate(page: Page): Promise<void> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration?.update();
  });
}

/** Marks this document; the mark survives everything but a reload. */
const markDocument = (page: Page): Promise<void> => page.evaluate(() => void ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
const sameDocument = (page: Page): Promise<boolean> => page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);

test.describe('updates', () => {
  let server: StaticServer | undefined;
  test.afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('a new version is announced, never forced; "Later" hides it, "Reload now" switches to it', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    server = await startStaticServer();
    await page.goto(`${server.origin}/?model=lite&backend=webgl`);
    await waitForEspresso(page);
    await waitForOffline(page);
    expect(await controllerVersion(page)).toBe('original');
    await markDocument(page);
    const banner = page.getByTestId('update-banner');
    await expect(banner).toHaveCount(0);

    // A new build appears on the server; the page's update check finds it.
    server.override('/sw.js', nextBuild('v2'));
    await checkForUpdate(page);
    await expect(banner).toBeVisible();
    await expect(page.locator('update-banner [role="status"]')).toContainText('A new version of ConvLens is ready.');
    const axe = await new AxeBuilder({ page }).include({ fromShadowDom: ['convlens-app', 'update-banner'] }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    // Nothing reloaded, the live view keeps running, and the old worker still serves the page.
    await moreFrames(page, 3);
    expect(await sameDocument(page)).toBe(true);
    expect(await controllerVersion(page)).toBe('original');

    // "Later" hides it (keyboard: the buttons are ordinary buttons, with a visible focus ring).
    await page.getByRole('button', { name: 'Later' }).focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await page.getByRole('button', { name: 'Later' }).evaluate((b) => getComputedStyle(b).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    await expect(banner).toHaveCount(0);
    await moreFrames(page, 2);
    expect(await sameDocument(page)).toBe(true);

    // Yet another build while the first still waits: announced again (workbox-window alone would miss it).
    server.override('/sw.js', nextBuild('v3'));
    await checkForUpdate(page);
    await expect(banner).toBeVisible();
    expect(await sameDocument(page)).toBe(true);

    // "Reload now": the waiting worker takes over and the page reloads once under it (on 'controlling', well
    // before applyUpdate()'s 10 s fallback).
    const clicked = Date.now();
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload now' }).click()]);
    expect(Date.now() - clicked).toBeLessThan(8000);
    expect(await sameDocument(page)).toBe(false);
    await expect.poll(() => controllerState(page)).toBe('activated');
    expect(await controllerVersion(page)).toBe('v3');
    await waitForEspresso(page);
    await expect(banner).toHaveCount(0);
    expect((await state(page)).error).toBeNull();
    expect(errors).toEqual([]);
  });

  test('a kiosk never shows the banner and takes the new version only at its idle reset', async ({ page }) => {
    server = await startStaticServer();
    const kiosk = { views: ['saliency', 'gradcam'], attractAfterSeconds: 6, attractViewSeconds: 3, idleResetSeconds: 10 };
    server.override('/update-kiosk.json', JSON.stringify(kiosk));
    await page.goto(`${server.origin}/?kiosk=update-kiosk.json&model=lite&backend=webgl`);
    await waitForEspresso(page);
    await waitForOffline(page);
    await markDocument(page);
    server.override('/sw.js', nextBuild('v2'));
    await checkForUpdate(page);
    await expect.poll(async () => (await state(page)).updateReady).toBe(true);
    await expect(page.getByTestId('update-banner')).toHaveCount(0);

    // A visitor keeps using it for longer than the idle time: no reset, no reload mid-demo.
    const busyUntil = Date.now() + 14_000;
    while (Date.now() < busyUntil) {
      await page.locator('.caption').click();
      await page.waitForTimeout(1000);
    }
    expect(await sameDocument(page)).toBe(true);
    expect((await state(page)).kiosk?.resets).toBe(0);

    // Then nobody: at the idle reset the kiosk reloads under the new version and runs again.
    await page.waitForEvent('load', { timeout: 30_000 });
    expect(await sameDocument(page)).toBe(false);
    await expect.poll(() => controllerState(page)).toBe('activated');
    expect(await controllerVersion(page)).toBe('v2');
    await waitForEspresso(page);
    expect((await state(page)).kiosk).toMatchObject({ attract: false, resets: 0 });
  });
});
