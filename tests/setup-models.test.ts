import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

const SHARED_MODELS = resolve(ROOT, '..', 'shared', 'models');
const work = mkdtempSync(join(tmpdir(), 'convlens-setup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function setup(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['scripts/setup-models.mjs'], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => done({ code, out }));
  });
}

describe('model set-up (scripts/setup-models.mjs)', () => {
  it('copies both models from ../shared, verifies them, and a second run is a no-op', async () => {
    const target = join(work, 'fresh');
    const first = await setup({ CONVLENS_MODELS_DIR: target });
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/mobilenet_v1_0\.75_224: 56 file\(s\) .* all SHA-256 verified/);
    expect(first.out).toMatch(/mobilenet_v1_0\.25_224: 56 file\(s\)/);
    const shard = join(target, 'mobilenet_v1_0.25_224', 'group1-shard1of1');
    const mtime = statSync(shard).mtimeMs;
    const second = await setup({ CONVLENS_MODELS_DIR: target });
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/mobilenet_v1_0\.75_224 up to date/);
    expect(statSync(shard).mtimeMs).toBe(mtime);
  });

  it('stops with the name of a corrupt or missing file and never installs a bad file', async () => {
    const source = join(work, 'bad-source');
    cpSync(SHARED_MODELS, source, { recursive: true });
    const shard = join(source, 'mobilenet_v1_0.75_224', 'group7-shard1of1');
    writeFileSync(shard, Buffer.alloc(statSync(shard).size)); // right size, wrong bytes
    const target = join(work, 'bad-target');
    const corrupt = await setup({ CONVLENS_MODELS_DIR: target, CONVLENS_SHARED_MODELS: source });
    expect(corrupt.code).toBe(1);
    expect(corrupt.out).toMatch(/checksum mismatch for mobilenet_v1_0\.75_224\/group7-shard1of1/);
    expect(existsSync(join(target, 'mobilenet_v1_0.75_224', 'group7-shard1of1'))).toBe(false);

    rmSync(shard);
    const missing = await setup({ CONVLENS_MODELS_DIR: target, CONVLENS_SHARED_MODELS: source });
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/missing model file: .*group7-shard1of1/);
  });

  it('downloads from the model URL when ../shared is absent, verifying every shard', async () => {
    let corruptOne = false;
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url!);
      const file = join(SHARED_MODELS, decodeURIComponent(req.url!.slice(1)));
      if (!file.startsWith(SHARED_MODELS) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const bytes = readFileSync(file);
      if (corruptOne && req.url!.endsWith('0.25_224/group3-shard1of1')) bytes[0] = bytes[0]! ^ 0xff;
      res.writeHead(200).end(bytes);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const env = { CONVLENS_MODELS_DIR: join(work, 'download'), CONVLENS_SHARED_MODELS: join(work, 'no-shared-here'), CONVLENS_MODEL_BASE_URL: base };
      const ok = await setup(env);
      expect(ok.code).toBe(0);
      expect(ok.out).toContain(`56 file(s) from ${base}`);
      expect(requests).toContain('/mobilenet_v1_0.25_224/group55-shard1of1');
      corruptOne = true;
      const env2 = { ...env, CONVLENS_MODELS_DIR: join(work, 'download2') };
      const bad = await setup(env2);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/checksum mismatch for mobilenet_v1_0\.25_224\/group3-shard1of1/);
    } finally {
      server.close();
    }
  });
});
