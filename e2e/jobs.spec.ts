import { expect, test } from '@playwright/test';
import { moreFrames, state } from './helpers';

/**
 * Jobs that respect people's time (issue 13, goal 7), in the app on software WebGL with the lite model: the job
 * panel shows the time so far and an estimate of the time left from the first units of work, Cancel shows at once
 * and the live view goes on, and two jobs at their default size finish within a minute (their times are printed).
 */
test.describe.configure({ mode: 'serial' });

test('a job shows its time left; Cancel acts within 1 s; "more detail" is offered', async ({ page }, info) => {
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  const detail = page.getByLabel('More detail (for lectures)');
  await expect(detail).not.toBeChecked();
  await expect(page.getByText('Each job is sized to finish within about a minute.')).toBeVisible();

  await page.getByRole('button', { name: 'Shapley values' }).click();
  await expect.poll(async () => (await state(page)).job?.etaSeconds, { timeout: 60_000 }).toBeGreaterThan(0);
  const time = page.getByTestId('job-time');
  await expect(time).toContainText(/\d+ s so far · (about \d+(\.5)? (s|min) left|a few seconds left)/);
  await page.screenshot({ path: info.outputPath('job-panel-eta.png') });

  const clicked = Date.now();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect.poll(async () => (await state(page)).job?.state, { timeout: 1000, intervals: [20] }).toBe('cancelled');
  const ms = Date.now() - clicked;
  console.log(`Cancel showed as cancelled after ${ms} ms`);
  expect(ms).toBeLessThan(1000);
  expect((await state(page)).job!.progress).toBeLessThan(1);
  await moreFrames(page, 2); // the live view goes on

  await detail.check();
  await expect(page.getByText('Finer grids, more steps: several minutes per job.')).toBeVisible();
  await detail.uncheck();
});

test('integrated gradients and class visualisation at their default size finish within a minute (lite, WebGL)', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  for (const button of ['Integrated gradients', 'Visualise the class']) {
    await page.getByRole('button', { name: button }).click();
    await expect.poll(async () => (await state(page)).job?.state, { timeout: 120_000 }).toBe('done');
    const seconds = (await state(page)).job!.seconds!;
    console.log(`${button}: ${seconds.toFixed(1)} s in headless Chromium, WebGL (SwiftShader), lite, live view running`);
    expect(seconds).toBeLessThan(60);
    await page.getByRole('button', { name: 'Back to the live view' }).click();
  }
});
