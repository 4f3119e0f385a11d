import { type Page, expect, test } from '@playwright/test';
import { moreFrames, state } from './helpers';

/**
 * Camera unplugged and plugged in again, with Chromium's fake camera: "unplugging" makes getUserMedia reject
 * with NotFoundError (what Chromium answers when no camera is attached) and ends the live track as the browser
 * does when the device goes away; "plugging in" gives getUserMedia back.
 */
async function unplug(page: Page): Promise<void> {
  await page.evaluate(() => {
    const devices = navigator.mediaDevices;
    const w = window as unknown as { realGetUserMedia: MediaDevices['getUserMedia']; attempts: number };
    w.realGetUserMedia = devices.getUserMedia.bind(devices);
    w.attempts = 0;
    devices.getUserMedia = () => {
      w.attempts++;
      return Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
    };
    const video = document.querySelector('convlens-app')!.shadowRoot!.querySelector('stage-view')!.shadowRoot!.querySelector('video')!;
    const track = (video.srcObject as MediaStream).getVideoTracks()[0]!;
    track.stop();
    track.dispatchEvent(new Event('ended'));
  });
}

async function plugIn(page: Page): Promise<void> {
  await page.evaluate(() => {
    navigator.mediaDevices.getUserMedia = (window as unknown as { realGetUserMedia: MediaDevices['getUserMedia'] }).realGetUserMedia;
  });
}

const attempts = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { attempts: number }).attempts);

test.describe('camera unplugged and plugged in again (lite model, WebGL)', () => {
  test('a sample picture and a message while it is gone; the live camera again by itself when it is back', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/?model=lite&backend=webgl');
    await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
    expect((await state(page)).source).toBe('camera');

    await unplug(page);
    await expect.poll(async () => (await state(page)).source).toBe('image');
    await expect(page.getByTestId('camera-message')).toContainText('The camera was disconnected');
    await moreFrames(page, 3); // the view keeps working on the sample picture (coffee.png)
    expect((await state(page)).top5[0]?.label).toBe('espresso');
    // It keeps looking for the camera (2 s, 3 s, then every 5 s) and stays on the picture while none is there.
    await expect.poll(() => attempts(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect((await state(page)).source).toBe('image');

    await plugIn(page);
    const replugged = Date.now();
    await expect.poll(async () => (await state(page)).source, { timeout: 15_000 }).toBe('camera');
    console.log(`camera back ${Date.now() - replugged} ms after it was plugged in`);
    await expect(page.getByTestId('camera-message')).toHaveCount(0);
    await moreFrames(page, 3);
    expect(await state(page)).toMatchObject({ source: 'camera', error: null });
    expect((await state(page)).top5[0]?.label).toBe('espresso');
    expect(errors).toEqual([]);
  });

  test('once the visitor picks another picture, the app stops switching back to the camera', async ({ page }) => {
    await page.goto('/?model=lite&backend=webgl');
    await expect.poll(async () => (await state(page)).source, { timeout: 90_000 }).toBe('camera');
    await moreFrames(page, 1);
    await unplug(page);
    await expect.poll(async () => (await state(page)).source).toBe('image');
    await page.getByRole('button', { name: 'chelsea' }).click();
    const before = await attempts(page);
    await plugIn(page);
    await page.waitForTimeout(6_000); // longer than the longest retry interval
    expect((await state(page)).source).toBe('image');
    expect(await attempts(page)).toBe(before);
    await expect.poll(async () => (await state(page)).top5[0]?.label ?? '', { timeout: 60_000 }).toMatch(/cat|tabby/);
  });
});
