import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../src/core/errors';
import { loadModel, modelsRoot } from '../src/node/model-files';

const work = mkdtempSync(join(tmpdir(), 'convlens-model-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('loading model files', () => {
  it('a truncated weight shard or broken model.json gives a ModelLoadError naming the file', async () => {
    const root = join(work, 'models');
    cpSync(join(modelsRoot(), 'mobilenet_v1_0.25_224'), join(root, 'mobilenet_v1_0.25_224'), { recursive: true });
    const shard = join(root, 'mobilenet_v1_0.25_224', 'group5-shard1of1');
    writeFileSync(shard, readFileSync(shard).subarray(0, 100));
    await expect(loadModel('lite', root)).rejects.toThrow(ModelLoadError);
    await expect(loadModel('lite', root)).rejects.toThrow(/corrupt weight file group5-shard1of1/);
    writeFileSync(join(root, 'mobilenet_v1_0.25_224', 'model.json'), '{"modelTopology": ');
    await expect(loadModel('lite', root)).rejects.toThrow(/corrupt model file .*model\.json/);
    await expect(loadModel('standard', root)).rejects.toThrow(/model file not found: .*mobilenet_v1_0\.75_224.*npm run setup/);
  });
});
