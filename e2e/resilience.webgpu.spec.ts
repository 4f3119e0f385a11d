import { expect, test } from '@playwright/test';
import { state } from './helpers';

test('WebGPU device lost: the backend is recreated on a new device and the live view continues', async ({ page }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?model=lite&backend=webgpu');
  await expect.poll(async () => (await state(page)).backend, { timeout: 90_000 }).toBe('webgpu');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  expect((await state(page)).recoveries).toBe(0);

  const t0 = Date.now();
  await page.evaluate(() => window.convlens.simulate('device-loss'));
  await expect.poll(async () => (await state(page)).recoveries, { timeout: 120_000 }).toBe(1);
  const recoveredMs = Date.now() - t0;
  await expect(page.locator('header [role=status]')).toContainText(/The graphics device was lost \(destroyed.*recreated the webgpu backend in \d+ ms/);
  const after = (await state(page)).frames;
  await expect.poll(async () => (await state(page)).frames, { timeout: 120_000 }).toBeGreaterThanOrEqual(after + 2);
  console.log(`device loss → recovered ${recoveredMs} ms, → 2 more frames ${Date.now() - t0} ms; status: ${await page.locator('header [role=status]').textContent()}`);
  const s = await state(page);
  expect(s).toMatchObject({ backend: 'webgpu', recoveries: 1, modelError: null });
  expect(s.top5[0]?.label).toBe('espresso');
  await expect.poll(async () => (await state(page)).error).toBeNull();
  expect(errors).toEqual([]);
});
