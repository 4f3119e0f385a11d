import { readFileSync } from 'node:fs';
import { type BrowserContext, type ConsoleMessage, type Page, expect } from '@playwright/test';
import { state } from './helpers';

/** Pinned model files ('mobilenet_v1_0.25_224/group1-shard1of1', …) of one model folder, from scripts/models.sha256. */
export function pinnedModelFiles(dir: string): string[] {
  return readFileSync('scripts/models.sha256', 'utf8')
    .split('\n')
    .map((line) => /^[0-9a-f]{64}\s+\*?(\S+)$/.exec(line.trim())?.[1])
    .filter((file): file is string => file !== undefined && file.startsWith(`${dir}/`));
}

export const LITE = 'mobilenet_v1_0.25_224';
export const STANDARD = 'mobilenet_v1_0.75_224';

/** Paths ('/models/…') held by Workbox's precache in this page's origin. */
export function precachedPaths(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const out: string[] = [];
    for (const name of await caches.keys()) {
      if (!name.startsWith('workbox-precache')) continue;
      const cache = await caches.open(name);
      for (const request of await cache.keys()) out.push(new URL(request.url).pathname);
    }
    return out;
  });
}

/** The state of the service worker controlling the page, or null when none does. */
export function controllerState(page: Page): Promise<string | null> {
  return page.evaluate(() => navigator.serviceWorker.controller?.state ?? null);
}

/** Waits until an activated service worker controls the page and its precache holds every file of `dirs`. */
export async function waitForOffline(page: Page, dirs: string[] = [LITE, STANDARD]): Promise<void> {
  await expect.poll(() => controllerState(page), { timeout: 90_000 }).toBe('activated');
  const wanted = dirs.flatMap((dir) => pinnedModelFiles(dir).map((file) => `/models/${file}`));
  await expect
    .poll(async () => {
      const have = new Set(await precachedPaths(page));
      return wanted.filter((path) => !have.has(path));
    }, { timeout: 90_000 })
    .toEqual([]);
}

export async function waitForEspresso(page: Page): Promise<void> {
  await expect.poll(async () => (await state(page)).top5[0]?.label, { timeout: 90_000 }).toBe('espresso');
}

/**
 * Collects Content-Security-Policy violations: the document's 'securitypolicyviolation' events (added before
 * any page script runs) and console reports from the page, its workers and the service worker.
 */
export async function watchCsp(context: BrowserContext, page: Page): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  const onConsole = (message: ConsoleMessage): void => {
    const text = message.text();
    if (/Content Security Policy|Content-Security-Policy|Refused to (load|execute|apply|connect|create|evaluate|frame)/i.test(text)) fromConsole.push(text);
  };
  context.on('console', onConsole);
  page.on('worker', (worker) => worker.on('console', onConsole));
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`));
  });
  return async () => {
    const fromEvents = await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []).catch(() => []);
    return [...fromEvents, ...fromConsole];
  };
}
