import { expect, test } from '@playwright/test';
import { state } from './helpers';

test('WebGPU (SwiftShader), asked for with ?backend=webgpu, runs the live view', async ({ page }) => {
  await page.goto('/?model=lite&backend=webgpu');
  await expect.poll(async () => (await state(page)).backend, { timeout: 90_000 }).toBe('webgpu');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 120_000 }).toBe('espresso');
});
