import { expect, test } from '@playwright/test';
import { state } from './helpers';
import { fastestBackend } from '../workers/backend-choice';

/**
 * A new user's start with every backend offered (WebGPU here is SwiftShader, a software adapter): the app names
 * the software renderers, times one warm lite frame on WebGL and CPU, takes the faster, decides the model by the
 * 2 frames/s rule, shows the choice, and remembers it for this device (same renderers) so a reload measures nothing.
 */
test('no URL parameters: software WebGPU is detected and not used; the backend and model are measured, shown and remembered', async ({ page }, testInfo) => {
  test.setTimeout(600_000);
  const t0 = Date.now();
  await page.goto('/');
  await expect.poll(async () => (await state(page)).top5.length, { timeout: 400_000 }).toBeGreaterThan(0);
  const firstTop5 = Date.now() - t0;
  const s = await state(page);
  expect(s.top5[0]?.label).toBe('espresso');
  const choice = s.choice!;
  expect(choice.how).toBe('measured');
  const webgpu = choice.adapters.find((a) => a.backend === 'webgpu')!;
  expect(webgpu).toMatchObject({ available: true, software: true });
  expect(webgpu.renderer).toMatch(/swiftshader/i);
  expect(choice.adapters.find((a) => a.backend === 'webgl')).toMatchObject({ available: true, software: true });
  // WebGL and CPU were timed with the lite model; software WebGPU was not.
  expect(choice.timings.filter((t) => t.model === 'lite').map((t) => t.backend).sort()).toEqual(['cpu', 'webgl']);
  expect(s.backend).not.toBe('webgpu');
  // The faster of the two by the rule (shortest gradient frame; within 5 % the shorter forward frame).
  expect(s.backend).toBe(fastestBackend(choice.timings.filter((t) => t.model === 'lite')));
  // The model: standard only if its gradient frame ran at 2 frames/s or faster; not timed at all when lite was slower.
  const standard = choice.timings.find((t) => t.model === 'standard' && t.backend === s.backend);
  const liteHere = choice.timings.find((t) => t.model === 'lite' && t.backend === s.backend)!;
  if (standard) expect(s.model).toBe(1000 / standard.gradientMs >= 2 ? 'standard' : 'lite');
  else expect([s.model, liteHere.gradientMs > 500]).toEqual(['lite', true]);
  expect(choice.budget.budgetMs).toBe(500);
  await expect(page.getByTestId('backend')).toHaveText(`${s.backend} · auto`);
  await expect(page.locator('header [role=status]')).toContainText(`Model ${s.model} on ${s.backend} (chosen by measurement)`);
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('convlens.backend-choice:')));
  expect(stored).toHaveLength(1);
  expect(stored[0]).toContain(webgpu.renderer);

  await page.keyboard.press('h');
  await expect(page.getByTestId('hud')).toContainText(`choice (measured): ${s.backend} + ${s.model}`);
  // Why (renderers, timings) is in the operator's HUD, not in the one-line header status.
  await expect(page.getByTestId('hud')).toContainText('WebGPU is a software renderer');
  await page.screenshot({ path: testInfo.outputPath('backend-choice-hud.png') });
  await page.keyboard.press('h');

  // Reload: remembered for this device, nothing timed again.
  const t1 = Date.now();
  await page.reload();
  await expect.poll(async () => (await state(page)).top5.length, { timeout: 300_000 }).toBeGreaterThan(0);
  const again = await state(page);
  expect(again.choice).toMatchObject({ how: 'remembered', budget: choice.budget });
  expect(again).toMatchObject({ backend: s.backend, model: s.model });
  await expect(page.locator('header [role=status]')).toContainText('(chosen earlier on this device)');
  console.log(
    `default start: first top-5 after ${firstTop5} ms (measured: ${choice.reason}); reload with the remembered choice: ${Date.now() - t1} ms; ` +
      `budget ${JSON.stringify(choice.budget)}; timings ${JSON.stringify(choice.timings)}`,
  );
});
