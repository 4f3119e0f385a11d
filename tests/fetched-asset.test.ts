import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assetProblem, isHtmlAnswer, looksLikeHtml } from '../src/core/fetched-asset';
import { type FetchLike, ModelFileError, loadVerifiedArtifacts } from '../src/core/model-integrity';
import { MODELS } from '../src/core/models';
import { modelsRoot } from '../src/node/model-files';
import { PINNED_MODEL_SUMS } from '../workers/pinned-checksums';
import { ROOT } from './helpers';

/**
 * Issue 14, item 8: `vite preview` (npm start) answers a request for a missing file with index.html and status
 * 200. A missing model file (or gallery picture) is then reported as missing, not as damaged.
 */

const BASE = 'http://models.test/models/';
const LITE = MODELS.lite.dir;
const INDEX_HTML = readFileSync(join(ROOT, 'index.html'));

/** Real files from public/models; `missing` ones answered like an SPA fallback: the app's page, 200, text/html (or no type). */
function spaFetch(missing: string, contentType: string | undefined): FetchLike {
  return async (url) => {
    const rel = url.slice(BASE.length);
    if (rel === missing) return new Response(INDEX_HTML, { status: 200, headers: contentType ? { 'content-type': contentType } : {} });
    const path = join(modelsRoot(), rel);
    if (!existsSync(path)) return new Response('not found', { status: 404 });
    const bytes = new Uint8Array(readFileSync(path));
    return new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } });
  };
}

async function problemOf(fetch: FetchLike): Promise<ModelFileError> {
  try {
    await loadVerifiedArtifacts(LITE, BASE, PINNED_MODEL_SUMS, fetch);
  } catch (err) {
    if (err instanceof ModelFileError) return err;
    throw err;
  }
  throw new Error('loaded');
}

describe('a missing file answered by an SPA fallback is missing, not damaged', () => {
  it('model shard and model.json: "missing" by content type, and by the HTML bytes when the type says nothing', async () => {
    const shard = `${LITE}/group3-shard1of1`;
    for (const [file, type] of [[shard, 'text/html; charset=utf-8'], [shard, undefined], [`${LITE}/model.json`, 'text/html'], [shard, 'application/octet-stream']] as const) {
      const err = await problemOf(spaFetch(file, type));
      expect(err.file).toBe(file);
      expect(err.problem, `${file} as ${type}`).toBe('missing');
      expect(err.message).toBe(`Model file ${file} is missing (the server answered with an HTML page instead (HTTP 200), as a single-page-app fallback does for a file it does not have).`);
    }
  });

  it('a file that really is damaged is still "damaged (checksum mismatch)"', async () => {
    const shard = `${LITE}/group3-shard1of1`;
    const fetch: FetchLike = async (url) => {
      const rel = url.slice(BASE.length);
      const bytes = new Uint8Array(readFileSync(join(modelsRoot(), rel)));
      if (rel === shard) bytes[100] = bytes[100]! ^ 0xff;
      return new Response(bytes, { headers: { 'content-type': 'text/html' } }); // even with a wrong content type
    };
    const err = await problemOf(fetch);
    expect(err.problem).toBe('damaged');
    expect(err.message).toMatch(/is damaged \(checksum mismatch/);
  });

  it('assetProblem: 404 and HTML answers are missing, 500 a network problem, a picture is fine', () => {
    const png = readFileSync(join(ROOT, 'public', 'gallery', 'coffee.png'));
    const res = (status: number, type?: string): Response => new Response(null, { status, headers: type ? { 'content-type': type } : {} });
    expect(assetProblem(res(404))).toEqual({ problem: 'missing', detail: 'HTTP 404' });
    expect(assetProblem(res(500))).toEqual({ problem: 'network', detail: 'HTTP 500' });
    expect(assetProblem(res(200, 'text/html'), new Uint8Array(INDEX_HTML))?.problem).toBe('missing');
    expect(assetProblem(res(200), new Uint8Array(INDEX_HTML))?.problem).toBe('missing');
    expect(assetProblem(res(200, 'image/png'), new Uint8Array(png))).toBeUndefined();
    expect(looksLikeHtml(new TextEncoder().encode('\uFEFF  \n<!DOCTYPE html><html>'))).toBe(true);
    expect(looksLikeHtml(new TextEncoder().encode('{"images": ["<html>"]}'))).toBe(false);
    expect(isHtmlAnswer(res(200, 'application/json'), new TextEncoder().encode('{}'))).toBe(false);
  });
});
