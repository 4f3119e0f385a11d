import { expect, test } from '@playwright/test';
import { moreFrames, state } from './helpers';

test('WebGL context lost: the webgl backend is recreated on a new context and the live view continues', async ({ page }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?model=lite&backend=webgl&view=saliency');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  await moreFrames(page, 2);
  expect((await state(page)).recoveries).toBe(0);

  const t0 = Date.now();
  // The worker calls WEBGL_lose_context.loseContext() on the tfjs backend's own context: the real `webglcontextlost` path.
  await page.evaluate(() => window.convlens.simulate('context-loss'));
  await expect.poll(async () => (await state(page)).recoveries, { timeout: 120_000 }).toBe(1);
  const recoveredMs = Date.now() - t0;
  await expect(page.locator('header [role=status]')).toContainText(/The graphics device was lost \(WebGL context lost.*recreated the webgl backend in \d+ ms/);
  const after = (await state(page)).frames;
  await expect.poll(async () => (await state(page)).frames, { timeout: 120_000 }).toBeGreaterThanOrEqual(after + 2);
  console.log(`WebGL context loss → recovered ${recoveredMs} ms, → 2 more frames ${Date.now() - t0} ms; status: ${await page.locator('header [role=status]').textContent()}`);
  const s = await state(page);
  expect(s).toMatchObject({ backend: 'webgl', recoveries: 1, modelError: null, mode: 'saliency' });
  expect(s.top5[0]?.label).toBe('espresso');
  await expect.poll(async () => (await state(page)).error).toBeNull();

  // A second loss is recovered too (the new context is watched).
  await page.evaluate(() => window.convlens.simulate('context-loss'));
  await expect.poll(async () => (await state(page)).recoveries, { timeout: 120_000 }).toBe(2);
  await moreFrames(page, 2);
  expect((await state(page)).backend).toBe('webgl');
  expect(errors).toEqual([]);
});

test('kiosk visitors are told in plain words while the context is recovered', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?kiosk&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  const status = page.locator('header [role=status]');
  const seen: string[] = [];
  const watcher = setInterval(() => void status.textContent().then((t) => t && seen.push(t)).catch(() => undefined), 50);
  await page.evaluate(() => window.convlens.simulate('context-loss'));
  await expect.poll(async () => (await state(page)).recoveries, { timeout: 120_000 }).toBe(1);
  clearInterval(watcher);
  await moreFrames(page, 2);
  expect(seen).toContain('One moment, please…');
  await expect(status).toHaveText('');
});
