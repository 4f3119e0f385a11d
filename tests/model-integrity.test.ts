import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../src/core/errors';
import { type FetchLike, ModelFileError, loadVerifiedArtifacts, parseChecksums, sha256Fallback, sha256Hex } from '../src/core/model-integrity';
import { MODELS } from '../src/core/models';
import { ConvNet } from '../src/core/network';
import { imageToModelInput } from '../src/core/preprocess';
import { modelsRoot } from '../src/node/model-files';
import { PINNED_MODEL_SUMS } from '../workers/pinned-checksums';
import { ROOT, sharedImage } from './helpers';

const BASE = 'http://models.test/models/';
const LITE = MODELS.lite.dir;

/**
 * A fetch over the real files in public/models: each URL below BASE answers the file's bytes (a real Response),
 * 404 when absent; `tamper` changes a file's bytes, `fail` makes a request reject as a network error does.
 */
function diskFetch(options: { tamper?: Record<string, (b: Uint8Array) => Uint8Array>; fail?: string[]; missing?: string[] } = {}): { fetch: FetchLike; requested: string[]; init: (RequestInit | undefined)[] } {
  const requested: string[] = [];
  const init: (RequestInit | undefined)[] = [];
  const fetch: FetchLike = async (url, requestInit) => {
    const rel = url.slice(BASE.length);
    requested.push(rel);
    init.push(requestInit);
    if (options.fail?.includes(rel)) throw new TypeError('Failed to fetch');
    const path = join(modelsRoot(), rel);
    if (options.missing?.includes(rel) || !existsSync(path)) return new Response('not found', { status: 404 });
    const bytes = new Uint8Array(readFileSync(path));
    return new Response((options.tamper?.[rel]?.(bytes) ?? bytes) as Uint8Array<ArrayBuffer>);
  };
  return { fetch, requested, init };
}

describe('verified model loading (pinned SHA-256 of every model file)', () => {
  it('the worker bundles exactly the sums of scripts/models.sha256, and they match the installed files', async () => {
    const fromFile = parseChecksums(readFileSync(join(ROOT, 'scripts', 'models.sha256'), 'utf8'));
    expect([...PINNED_MODEL_SUMS]).toEqual([...fromFile]);
    expect(PINNED_MODEL_SUMS.size).toBe(112); // 2 models × (model.json + 55 shards)
    const shard = readFileSync(join(modelsRoot(), LITE, 'group3-shard1of1'));
    expect(await sha256Hex(shard)).toBe(PINNED_MODEL_SUMS.get(`${LITE}/group3-shard1of1`));
  });

  it('the fallback SHA-256 (no WebCrypto on insecure origins) equals node:crypto', () => {
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    for (const n of [0, 3, 55, 56, 63, 64, 65, 1000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 255);
      expect(hex(sha256Fallback(bytes)), `${n} bytes`).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    const shard = readFileSync(join(modelsRoot(), LITE, 'group1-shard1of1'));
    expect(hex(sha256Fallback(shard))).toBe(PINNED_MODEL_SUMS.get(`${LITE}/group1-shard1of1`));
  });

  it('good files: every file fetched once (HTTP cache neither read nor written), and the model from memory classifies', async () => {
    const { fetch, requested, init } = diskFetch();
    const artifacts = await loadVerifiedArtifacts(LITE, BASE, PINNED_MODEL_SUMS, fetch);
    expect(requested).toHaveLength(56);
    expect(new Set(requested).size).toBe(56);
    expect(init.every((i) => i?.cache === 'no-store')).toBe(true);
    const shardBytes = requested.filter((r) => !r.endsWith('.json')).reduce((n, r) => n + readFileSync(join(modelsRoot(), r)).byteLength, 0);
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(shardBytes);
    expect(artifacts.weightSpecs).toHaveLength(137); // kernels, biases and batch-norm parameters in 55 shards
    const net = await ConvNet.load(tf.io.fromMemory(artifacts));
    const input = imageToModelInput(sharedImage('coffee.png'));
    const probs = net.run(input.tensor, { probabilities: true }).probabilities!;
    expect((await probs.argMax(1).data())[0]).toBe(967); // espresso
    tf.dispose([probs, input.tensor]);
    net.dispose();
  });

  it('one corrupted byte in a shard: a ModelFileError naming that file as damaged (checksum mismatch)', async () => {
    const file = `${LITE}/group3-shard1of1`;
    const flip = (b: Uint8Array): Uint8Array => {
      const copy = b.slice();
      copy[100] = copy[100]! ^ 0x01;
      return copy;
    };
    const error = await loadVerifiedArtifacts(LITE, BASE, PINNED_MODEL_SUMS, diskFetch({ tamper: { [file]: flip } }).fetch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ file, problem: 'damaged' });
    expect((error as Error).message).toMatch(/^Model file mobilenet_v1_0\.25_224\/group3-shard1of1 is damaged \(checksum mismatch: SHA-256 [0-9a-f]{12}…, expected 5c6dc065b191…\)\.$/);
    // A damaged model.json is caught by its checksum before it is parsed.
    const json = `${LITE}/model.json`;
    await expect(loadVerifiedArtifacts(LITE, BASE, PINNED_MODEL_SUMS, diskFetch({ tamper: { [json]: (b) => b.subarray(0, 50) } }).fetch)).rejects.toThrow(
      /Model file mobilenet_v1_0\.25_224\/model\.json is damaged \(checksum mismatch/,
    );
  });

  it('a missing file (404), a network failure, and a file with no pinned sum are each named', async () => {
    const missing = `${LITE}/group7-shard1of1`;
    await expect(loadVerifiedArtifacts(LITE, BASE, PINNED_MODEL_SUMS, diskFetch({ missing: [missing] }).fetch)).rejects.toMatchObject({
      file: missing,
      problem: 'missing',
      message: 'Model file mobilenet_v1_0.25_224/group7-shard1of1 is missing (HTTP 404).',
    });
    await expect(loadVerifiedArtifacts(LITE, BASE, PINNED_MODEL_SUMS, diskFetch({ fail: [`${LITE}/model.json`] }).fetch)).rejects.toMatchObject({
      problem: 'network',
      message: 'Model file mobilenet_v1_0.25_224/model.json could not be downloaded (network error: Failed to fetch).',
    });
    const fewer = new Map([...PINNED_MODEL_SUMS].filter(([path]) => path !== `${LITE}/group55-shard1of1`));
    await expect(loadVerifiedArtifacts(LITE, BASE, fewer, diskFetch().fetch)).rejects.toMatchObject({ file: `${LITE}/group55-shard1of1`, problem: 'unpinned' });
    await expect(loadVerifiedArtifacts('no_such_model', BASE, PINNED_MODEL_SUMS, diskFetch().fetch)).rejects.toThrow(/Model file no_such_model\/model\.json is not one of the pinned/);
  });
});
