import { expect, test } from '@playwright/test';
import { moreFrames, state } from './helpers';
import { watchCsp } from './pwa-helpers';

/** The WebGPU backend (SwiftShader, flags in playwright.config.ts) under the app's CSP: no loosening needed. */
test('WebGPU runs the live views under the CSP without violations or foreign requests', async ({ page, context, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  const violations = await watchCsp(context, page);
  await page.goto('/?model=lite&backend=webgpu');
  await expect.poll(async () => (await state(page)).backend, { timeout: 90_000 }).toBe('webgpu');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
  for (const tab of ['Saliency', 'Grad-CAM']) {
    await page.getByRole('tab', { name: tab }).click();
    await moreFrames(page, 2);
  }
  expect(urls.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin)).toEqual([]);
  expect(await violations()).toEqual([]);
  expect((await state(page)).backend).toBe('webgpu');
});
