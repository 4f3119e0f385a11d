import { type Page, expect } from '@playwright/test';
import type { ConvLensState } from '../src/ui/convlens-app';

export function state(page: Page): Promise<ConvLensState> {
  return page.evaluate(() => window.convlens.state());
}

/** Waits until the app has processed at least `n` more frames than now. */
export async function moreFrames(page: Page, n = 2): Promise<void> {
  const start = (await state(page)).frames;
  await expect.poll(async () => (await state(page)).frames, { timeout: 90_000 }).toBeGreaterThanOrEqual(start + n);
}

/** Share of non-transparent pixels of a canvas (Playwright's CSS locators pierce the shadow DOM). */
export function painted(page: Page, selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((canvas: HTMLCanvasElement) => {
    if (canvas.width === 0 || canvas.height === 0) return 0;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n / (canvas.width * canvas.height);
  });
}
