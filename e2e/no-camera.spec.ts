import { expect, test } from '@playwright/test';
import { state } from './helpers';

test('without a camera the app says so and keeps working on the bundled pictures', async ({ page }) => {
  await page.goto('/?model=lite&backend=webgl');
  await expect(page.getByTestId('camera-message')).toContainText(/camera/i);
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  expect((await state(page)).source).toBe('image');
  await page.getByRole('button', { name: 'chelsea' }).click();
  await expect.poll(async () => (await state(page)).top5[0]?.label ?? '', { timeout: 60_000 }).toMatch(/cat|tabby/);
});
