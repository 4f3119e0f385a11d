import AxeBuilder from '@axe-core/playwright';
import { type Page, expect, test } from '@playwright/test';
import { moreFrames, state } from './helpers';

/** The focused element, found through the shadow roots of the app's views: its role and text. */
function focused(page: Page): Promise<{ role: string | null; text: string | null } | undefined> {
  return page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el ? { role: el.getAttribute('role'), text: el.textContent } : undefined;
  });
}

/** Serious and critical axe findings (WCAG 2.x A/AA rules), as "rule: target" lines so a failure says where. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary ?? ''}`));
}

test('axe finds no serious or critical violations on any view, the shortcut overlay or the kiosk', async ({ page }) => {
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  for (const tab of ['Activations', 'Saliency', 'Grad-CAM', 'Occlusion', 'Filters']) {
    await page.getByRole('tab', { name: tab }).click();
    await moreFrames(page, 1);
    expect(await seriousViolations(page), tab).toEqual([]);
  }
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog')).toBeVisible();
  expect(await seriousViolations(page), 'shortcut overlay').toEqual([]);
  await page.keyboard.press('Escape');

  await page.goto('/?kiosk&model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  expect(await seriousViolations(page), 'kiosk').toEqual([]);

  // The scan is live: an unnamed button put into the app's shadow DOM is reported.
  await page.evaluate(() => document.querySelector('convlens-app')!.shadowRoot!.querySelector('aside')!.append(document.createElement('button')));
  expect((await seriousViolations(page)).join('\n')).toContain('button-name');
});

test('keyboard only: reach the views, switch them with the arrow keys, pick a channel, run and cancel a job', async ({ page }) => {
  await page.goto('/?model=lite&backend=webgl');
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
  // Tab until the selected view tab has the focus (roving tabindex: one stop for the whole strip).
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if ((await focused(page))?.role === 'tab') break;
  }
  await page.keyboard.press('ArrowRight');
  expect((await state(page)).mode).toBe('saliency');
  expect((await focused(page))?.text).toBe('Saliency');
  await page.keyboard.press('ArrowLeft');
  expect((await state(page)).mode).toBe('activations');

  // The activation grid is focusable; arrow keys move the enlarged channel, Enter/Space toggles it.
  await page.locator('activation-grid canvas').focus();
  await page.keyboard.press('Enter');
  expect((await state(page)).channel).toBe(0);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  const s = await state(page);
  expect(s.channel).toBeGreaterThan(1);

  // A job button pressed with Enter; Cancel reached with the keyboard too.
  await page.getByRole('button', { name: 'Shapley values' }).focus();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await state(page)).job?.state).toBe('running');
  await page.getByRole('button', { name: 'Cancel' }).focus();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await state(page)).job?.state).toBe('cancelled');
});
