import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CSP_HEADER, CSP_META, SECURITY_HEADERS } from '../config/csp';
import { PRECACHE_BUDGET_BYTES, modelIntegrity, precacheBudget } from '../config/pwa';

/** Every pinned model file as a precache entry, as Workbox's glob produces them. */
function modelEntries(): { url: string; revision: string; size: number }[] {
  return readFileSync('scripts/models.sha256', 'utf8')
    .split('\n')
    .map((line) => /^[0-9a-f]{64}\s+(\S+)$/.exec(line.trim())?.[1])
    .filter((file): file is string => file !== undefined)
    .map((file) => ({ url: `models/${file}`, revision: 'r', size: 1 }));
}

describe('precache integrity (config/pwa.ts)', () => {
  it('gives every model file the SRI of its bytes and leaves other entries alone', async () => {
    const other = { url: 'index.html', revision: 'x', size: 10 };
    const { manifest } = await modelIntegrity([other, ...modelEntries()]);
    expect(manifest[0]).toEqual(other);
    const shard = manifest.find((e) => e.url === 'models/mobilenet_v1_0.25_224/group1-shard1of1')!;
    const expected = createHash('sha256').update(readFileSync('public/models/mobilenet_v1_0.25_224/group1-shard1of1')).digest('base64');
    expect(shard.integrity).toBe(`sha256-${expected}`);
    expect(manifest.filter((e) => e.integrity?.startsWith('sha256-')).length).toBe(modelEntries().length);
  });

  it('fails the build when a pinned model file would be missing from the precache, or a model file is unpinned', () => {
    expect(() => modelIntegrity(modelEntries().slice(1))).toThrow(/missing from the precache/);
    expect(() => modelIntegrity([...modelEntries(), { url: 'models/mobilenet_v1_0.25_224/extra.bin', revision: 'r', size: 1 }])).toThrow(/no pinned SHA-256/);
  });
});

describe('precache budget (config/pwa.ts)', () => {
  it('passes a manifest up to the budget and fails the build one byte over it, naming the total', async () => {
    const at = [{ url: 'a', revision: 'r', size: PRECACHE_BUDGET_BYTES - 10 }, { url: 'b', revision: 'r', size: 10 }];
    expect((await precacheBudget(at)).manifest).toEqual(at);
    const over = [...at, { url: 'c', revision: 'r', size: 1 }];
    expect(() => precacheBudget(over)).toThrow(`the precache is 31.00 MB in 3 files, over its budget of 31 MB`);
  });
});

describe('CSP (config/csp.ts)', () => {
  it('allows nothing inline and nothing from other origins; the header adds frame-ancestors', () => {
    // 'wasm-unsafe-eval' (WebAssembly only) is allowed; 'unsafe-eval' (eval, new Function) and 'unsafe-inline' are not.
    expect(CSP_META).not.toMatch(/'unsafe-inline'|'unsafe-eval'|'unsafe-hashes'|https?:|\*/);
    expect(CSP_META.split('; ')).toContain("script-src 'self' 'wasm-unsafe-eval' blob:");
    expect(CSP_META.split('; ')).toContain("worker-src 'self' blob:");
    expect(CSP_META).not.toContain('frame-ancestors');
    expect(CSP_HEADER).toBe(`${CSP_META}; frame-ancestors 'none'`);
  });

  it('the server headers make the app cross-origin isolated', () => {
    expect(SECURITY_HEADERS).toMatchObject({
      'Content-Security-Policy': CSP_HEADER,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
  });
});
