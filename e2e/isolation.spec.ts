import { type Page, type Worker, expect, test } from '@playwright/test';
import { state } from './helpers';
import { controllerState, waitForEspresso, watchCsp } from './pwa-helpers';
import { type StaticServer, startStaticServer } from './static-server';

/**
 * Cross-origin isolation (config/isolation.ts, src/sw.ts) and the CSP's WebAssembly allowances (config/csp.ts):
 * the page and the inference worker are `crossOriginIsolated` with SharedArrayBuffer when served with the headers,
 * stay so offline from the service worker's precache, and become so behind a host that omits the headers once the
 * service worker serves the page. WebAssembly compiles under the CSP (page and worker), threads work the way
 * tfjs-backend-wasm starts them (a blob: worker that importScripts a blob: script and shares a WebAssembly.Memory),
 * and inline scripts and eval are still refused.
 */

/** (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)) */
const ADD_WASM = [0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 127, 3, 2, 1, 0, 7, 7, 1, 3, 97, 100, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 32, 1, 106, 11];

interface Isolation {
  isolated: boolean;
  sab: string;
}

/** What a realm (page or worker) says about its isolation. */
/**
 * Page and Worker both have evaluate(fn, arg), with signatures TypeScript cannot call through their union; the
 * Worker's type serves for both (the same call at run time).
 */
const realm = (target: Page | Worker): Worker => target as Worker;

const isolationOf = (target: Page | Worker): Promise<Isolation> => realm(target).evaluate(() => ({ isolated: self.crossOriginIsolated, sab: typeof SharedArrayBuffer }));

/** The app's inference worker (started when the app starts). */
async function inferenceWorker(page: Page): Promise<Worker> {
  await expect.poll(() => page.workers().some((w) => /inference\.worker/.test(w.url())), { timeout: 60_000 }).toBe(true);
  return page.workers().find((w) => /inference\.worker/.test(w.url()))!;
}

/** Compiles and runs ADD_WASM in `target`: '5' (2 + 3), or the error's text. */
function runWasm(target: Page | Worker): Promise<string> {
  return realm(target).evaluate(async (bytes: number[]) => {
    try {
      const module = await WebAssembly.compile(new Uint8Array(bytes));
      const instance = await WebAssembly.instantiate(module);
      return String((instance.exports['add'] as (a: number, b: number) => number)(2, 3));
    } catch (e) {
      return String(e);
    }
  }, ADD_WASM);
}

/**
 * Inside the inference worker, what tfjs-backend-wasm's threaded build does: a pthread worker started from a
 * blob: URL, which importScripts the main script from another blob: URL, and a shared WebAssembly.Memory both
 * write to. Returns the two words the worker and the pthread wrote, or the error's text.
 */
function blobThread(worker: Worker): Promise<string> {
  return worker.evaluate(async () => {
    try {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      const main = URL.createObjectURL(new Blob(['self.fromMain = 41;'], { type: 'text/javascript' }));
      const code = `importScripts(${JSON.stringify(main)}); onmessage = (e) => { const a = new Int32Array(e.data.buffer); Atomics.store(a, 1, self.fromMain + 1); postMessage(self.crossOriginIsolated); };`;
      const thread = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
      const words = new Int32Array(memory.buffer);
      Atomics.store(words, 0, 7);
      const isolated = await new Promise<unknown>((resolve, reject) => {
        thread.onmessage = (e) => resolve(e.data);
        thread.onerror = (e) => reject(new Error(`thread error: ${e.message}`));
        setTimeout(() => reject(new Error('thread timed out')), 10_000);
        thread.postMessage({ buffer: memory.buffer });
      });
      thread.terminate();
      return `${Atomics.load(words, 0)} ${Atomics.load(words, 1)} isolated=${String(isolated)}`;
    } catch (e) {
      return String(e);
    }
  });
}

test.describe('cross-origin isolation', () => {
  let server: StaticServer | undefined;
  test.afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('a policy without wasm-unsafe-eval refuses WebAssembly (the check below can fail)', async ({ page }) => {
    // A bare page on the same origin with the old script-src, before any service worker exists in this context.
    await page.route('**/csp-control.html', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', headers: { 'Content-Security-Policy': "script-src 'self'" }, body: '<!doctype html><title>control</title>' }),
    );
    await page.goto('/csp-control.html');
    expect(await runWasm(page)).toMatch(/CompileError|Refused to compile|wasm-unsafe-eval/);
  });

  test('served with the headers: page and inference worker are isolated, WebAssembly and blob: threads run, inline script and eval are refused', async ({ page, context }) => {
    const violations = await watchCsp(context, page);
    const response = await page.goto('/?model=lite&backend=cpu');
    const headers = response!.headers();
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval' blob:");
    expect(await isolationOf(page)).toEqual({ isolated: true, sab: 'function' });
    const worker = await inferenceWorker(page);
    expect(await isolationOf(worker)).toEqual({ isolated: true, sab: 'function' });

    expect(await runWasm(page)).toBe('5');
    expect(await runWasm(worker), 'the worker runs under its own response CSP, which must allow WebAssembly too').toBe('5');
    expect(await blobThread(worker)).toBe('7 42 isolated=true');

    // The app itself is unaffected: it classifies (the font, camera and gallery are same-origin or blob:/mediastream:).
    await waitForEspresso(page);
    expect((await state(page)).error).toBeNull();
    expect(await violations()).toEqual([]);

    // Still strict: an injected inline script does not run, and string-to-code stays refused. (Playwright's own
    // evaluate is exempt from the eval check, so the eval attempt runs as a page script, loaded from a blob: URL
    // as script-src now allows.)
    const refused = await page.evaluate(async () => {
      const inline = document.createElement('script');
      inline.textContent = 'window.__inlineRan = true';
      document.head.append(inline);
      const probe = document.createElement('script');
      const code = "window.__evalRan = (() => { try { return String(new Function('return 1')()); } catch (e) { return e.name; } })();";
      probe.src = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
      await new Promise((resolve, reject) => {
        probe.onload = resolve;
        probe.onerror = () => reject(new Error('blob: script refused'));
        document.head.append(probe);
      });
      const w = window as unknown as { __inlineRan?: boolean; __evalRan?: string };
      return { inline: w.__inlineRan ?? null, evalRan: w.__evalRan ?? null };
    });
    expect(refused).toEqual({ inline: null, evalRan: 'EvalError' });
    await expect.poll(async () => (await violations()).join('\n')).toMatch(/script-src-elem|script-src/);
  });

  test('behind a host without the headers, the service worker makes the app isolated, online and offline', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    server = await startStaticServer(undefined, { isolation: false });
    const first = await page.goto(`${server.origin}/?model=lite&backend=cpu`);
    expect(first!.headers()['cross-origin-embedder-policy'], 'the host really omits them').toBeUndefined();
    expect(await isolationOf(page), 'first visit, from the network').toEqual({ isolated: false, sab: 'undefined' });
    // The first installation (whole precache) activates and claims the page.
    await expect.poll(() => controllerState(page), { timeout: 120_000 }).toBe('activated');

    const again = await page.reload();
    expect(again!.fromServiceWorker()).toBe(true);
    expect(again!.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    expect(await isolationOf(page), 'reloaded through the service worker').toEqual({ isolated: true, sab: 'function' });
    expect(await isolationOf(await inferenceWorker(page)), 'the worker script came from the precache with the headers').toEqual({ isolated: true, sab: 'function' });

    // Offline for real: the server is stopped, everything comes from the precache.
    const origin = server.origin;
    await server.close();
    await expect(fetch(origin), 'the server is really gone').rejects.toThrow();
    await page.reload();
    expect(await isolationOf(page), 'offline').toEqual({ isolated: true, sab: 'function' });
    const worker = await inferenceWorker(page);
    expect(await isolationOf(worker)).toEqual({ isolated: true, sab: 'function' });
    expect(await blobThread(worker)).toBe('7 42 isolated=true');
    await waitForEspresso(page);
    expect((await state(page)).error).toBeNull();
    // On the CPU backend the forward passes ran on the WASM backend, its threaded binary from the precache.
    expect((await state(page)).forward).toMatchObject({ backend: 'wasm', simd: true, isolated: true });
    expect(errors).toEqual([]);
  });
});
