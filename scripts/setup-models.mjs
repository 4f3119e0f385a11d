#!/usr/bin/env node
// Puts the two MobileNet v1 models into public/models/ (git-ignored), where both the browser app and the
// CLI load them. Source: ../shared/models when present (offline, fast), else the official TensorFlow.js URLs.
// Every file is checked against the SHA-256 sums pinned in scripts/models.sha256; a mismatch or a missing
// file stops set-up with a message naming the file. Files already present and correct are left alone.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = resolve(process.env.CONVLENS_MODELS_DIR ?? join(root, 'public', 'models'));
const sharedDir = resolve(process.env.CONVLENS_SHARED_MODELS ?? join(root, '..', 'shared', 'models'));
const officialBase = process.env.CONVLENS_MODEL_BASE_URL ?? 'https://storage.googleapis.com/tfjs-models/tfjs';
const MODEL_DIRS = ['mobilenet_v1_0.75_224', 'mobilenet_v1_0.25_224'];

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

function pinnedSums() {
  const sums = new Map();
  for (const line of readFileSync(join(root, 'scripts', 'models.sha256'), 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (m) sums.set(m[2], m[1]);
  }
  return sums;
}

class SetupError extends Error {}

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new SetupError(`download failed: ${url} (HTTP ${res.status})`);
  return Buffer.from(await res.arrayBuffer());
}

/** Reads one file from the chosen source; null when the source lacks it. */
async function readSource(source, rel) {
  if (source === 'shared') {
    const p = join(sharedDir, rel);
    return existsSync(p) ? readFileSync(p) : null;
  }
  return fetchBytes(`${officialBase}/${rel}`);
}

function writeAtomically(path, bytes) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

async function setupModel(dir, sums, source) {
  const files = [...sums.keys()].filter((rel) => rel.startsWith(`${dir}/`));
  if (files.length === 0) throw new SetupError(`no pinned checksums for ${dir} in scripts/models.sha256`);
  let fetched = 0;
  for (const rel of files) {
    const dest = join(target, rel);
    const want = sums.get(rel);
    if (existsSync(dest) && sha256(readFileSync(dest)) === want) continue;
    const bytes = await readSource(source, rel);
    if (bytes === null) throw new SetupError(`missing model file: ${join(sharedDir, rel)}`);
    const got = sha256(bytes);
    if (got !== want) {
      // The official 0.25 model.json differs in bytes from the pinned (rebuilt) one; the weights must not.
      const isTopology = rel.endsWith('model.json');
      if (!(source === 'official' && isTopology && manifestMatches(bytes, files, dir))) {
        throw new SetupError(`checksum mismatch for ${rel}: expected ${want}, got ${got}`);
      }
      console.warn(`setup-models: ${rel} from the official URL differs from the pinned copy; its weight manifest matches, keeping it`);
    }
    writeAtomically(dest, bytes);
    fetched++;
  }
  return fetched;
}

function manifestMatches(bytes, files, dir) {
  try {
    const json = JSON.parse(bytes.toString('utf8'));
    const paths = json.weightsManifest.flatMap((g) => g.paths.map((p) => `${dir}/${p}`)).sort();
    const expected = files.filter((f) => !f.endsWith('model.json')).sort();
    return json.modelTopology !== undefined && JSON.stringify(paths) === JSON.stringify(expected);
  } catch {
    return false;
  }
}

async function main() {
  const sums = pinnedSums();
  const source = existsSync(sharedDir) ? 'shared' : 'official';
  const from = source === 'shared' ? sharedDir : officialBase;
  for (const dir of MODEL_DIRS) {
    const n = await setupModel(dir, sums, source);
    console.log(n === 0 ? `setup-models: ${dir} up to date` : `setup-models: ${dir}: ${n} file(s) from ${from}, all SHA-256 verified`);
  }
}

main().catch((err) => {
  console.error(`setup-models: ${err instanceof SetupError ? err.message : String(err)}`);
  process.exit(1);
});
