import { expect, test } from '@playwright/test';
import { moreFrames, painted, state } from './helpers';

/**
 * The cut-out in the browser (lite model, software WebGL, the fake camera's espresso): OpenCV (the GrabCut worker,
 * about 11 MB) is not fetched at start — only after the button is clicked — and the result shows the cut-out and
 * the outline over the frame with the share of the frame it covers. docs/screenshots/segment.png is a copy of the
 * screenshot it writes.
 */
test('Cut out the object: OpenCV loads only on the click, and the cut-out and its outline show', async ({ page, context }, info) => {
  test.setTimeout(300_000);
  // Requests of the page and its workers for the GrabCut worker or the OpenCV chunk; the service worker's own
  // precache downloads (request.serviceWorker() set) are not the page asking for them.
  const opencv: { url: string; at: number }[] = [];
  context.on('request', (r) => {
    if (/(grabcut\.worker|opencv)-[\w-]+\.js/.test(r.url()) && !r.serviceWorker()) opencv.push({ url: r.url(), at: Date.now() });
  });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  await moreFrames(page, 2);
  expect(opencv, 'OpenCV must not be fetched before the cut-out is asked for').toHaveLength(0);

  const clicked = Date.now();
  await page.getByRole('button', { name: 'Cut out the object' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 240_000 }).toBe('done');
  const seconds = (await state(page)).job!.seconds!;
  expect(opencv.length, 'the GrabCut worker is fetched for the cut-out').toBeGreaterThan(0);
  expect(opencv[0]!.at).toBeGreaterThanOrEqual(clicked);
  const summary = page.getByTestId('segment-summary');
  await expect(summary).toContainText(/The object covers \d+\.\d % of the frame/);
  const text = (await summary.textContent()) ?? '';
  const share = Number(/covers (\d+\.\d) %/.exec(text)![1]) / 100;
  expect(share).toBeGreaterThan(0.05);
  expect(share).toBeLessThan(0.9);
  // Both pictures are drawn: the cut-out (checkerboard + object) and the frame with its outline.
  expect(await painted(page, 'segment-result canvas.cutout')).toBeGreaterThan(0.99);
  expect(await painted(page, 'segment-result canvas.outline')).toBeGreaterThan(0.99);
  console.log(`Cut-out in ${seconds.toFixed(1)} s (headless Chromium, WebGL/SwiftShader, lite, first use: OpenCV loaded); ${text.replace(/\s+/g, ' ').trim()}`);
  await page.screenshot({ path: info.outputPath('segment.png') });
});
