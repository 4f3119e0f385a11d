import type * as tf from '@tensorflow/tfjs';
import { ModelLoadError } from './errors';
import { htmlFallbackDetail, isHtmlAnswer } from './fetched-asset';

/**
 * Verified model loading, DOM-free (browser worker and Node alike): fetch model.json and every weight shard,
 * check each file's SHA-256 against the sums pinned in scripts/models.sha256 (the one source of truth, also used
 * by `npm run setup`), and hand TensorFlow.js the verified bytes from memory. Nothing is written to any cache.
 */

/** Why one model file could not be used. */
export type ModelFileProblem = 'missing' | 'network' | 'damaged' | 'unpinned';

export class ModelFileError extends ModelLoadError {
  constructor(
    /** Path below the models root, e.g. 'mobilenet_v1_0.25_224/group3-shard1of1'. */
    readonly file: string,
    readonly problem: ModelFileProblem,
    detail: string,
  ) {
    super(`Model file ${file} ${PROBLEM_TEXT[problem]} (${detail}).`);
  }
}

const PROBLEM_TEXT: Record<ModelFileProblem, string> = {
  missing: 'is missing',
  network: 'could not be downloaded',
  damaged: 'is damaged',
  unpinned: 'is not one of the pinned model files',
};

/** Parses a `sha256sum` listing ("<64 hex>  <path>" per line; '*' binary marker allowed) into path → sum. */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!.toLowerCase());
  }
  return sums;
}

/** SHA-256 as lowercase hex: WebCrypto when present, else a plain implementation (insecure http origins lack it). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  const digest = subtle ? new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)) : sha256Fallback(bytes);
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** FIPS 180-4 SHA-256 (used only where WebCrypto is unavailable). */
export function sha256Fallback(bytes: Uint8Array): Uint8Array {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bytes.length / 0x20000000));
  view.setUint32(padded.length - 4, (bytes.length << 3) >>> 0);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + 4 * i);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      w[i] = w[i - 16]! + (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + w[i - 7]! + (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10));
    }
    let [a, b, c, d, e, f, g, hh] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!];
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      [hh, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    const next = [a, b, c, d, e, f, g, hh];
    for (let i = 0; i < 8; i++) h[i] = (h[i]! + next[i]!) >>> 0;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(4 * i, h[i]!);
  return out;
}

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** Fetches one model file and checks it against its pinned sum; throws ModelFileError naming the file. */
export async function fetchVerified(file: string, modelsUrl: string, sums: ReadonlyMap<string, string>, fetchFn: FetchLike): Promise<Uint8Array> {
  const want = sums.get(file);
  if (!want) throw new ModelFileError(file, 'unpinned', 'no SHA-256 for it in scripts/models.sha256');
  let response: Response;
  try {
    // 'no-store': the browser's HTTP cache is neither read nor written, so a file damaged in transit cannot stay
    // cached (a revalidation could answer 304 and serve it again) and "Try again" really fetches again. The
    // service worker, when installed, still answers from its integrity-checked precache.
    response = await fetchFn(new URL(file, modelsUrl).href, { cache: 'no-store' });
  } catch (err) {
    throw new ModelFileError(file, 'network', `network error: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!response.ok) {
    throw new ModelFileError(file, response.status === 404 || response.status === 410 ? 'missing' : 'network', `HTTP ${response.status}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    throw new ModelFileError(file, 'network', `download interrupted: ${err instanceof Error ? err.message : String(err)}`);
  }
  const got = await sha256Hex(bytes);
  if (got === want) return bytes;
  // An HTML page in place of the file is the host's answer for a file it does not have (an SPA fallback such as
  // `vite preview` answers index.html with status 200): missing, not damaged.
  if (isHtmlAnswer(response, bytes)) throw new ModelFileError(file, 'missing', htmlFallbackDetail(response.status));
  throw new ModelFileError(file, 'damaged', `checksum mismatch: SHA-256 ${got.slice(0, 12)}…, expected ${want.slice(0, 12)}…`);
}

/**
 * Loads a layers-format model folder (e.g. 'mobilenet_v1_0.25_224') below `modelsUrl` with every file verified,
 * and returns the artifacts to give TensorFlow.js through `tf.io.fromMemory` (keep them to rebuild the model
 * after a lost GPU device without fetching again).
 */
export async function loadVerifiedArtifacts(dir: string, modelsUrl: string, sums: ReadonlyMap<string, string>, fetchFn: FetchLike = (u, i) => fetch(u, i)): Promise<tf.io.ModelArtifacts> {
  const jsonFile = `${dir}/model.json`;
  const jsonBytes = await fetchVerified(jsonFile, modelsUrl, sums, fetchFn);
  let json: { modelTopology?: unknown; weightsManifest?: tf.io.WeightsManifestConfig };
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes)) as typeof json;
  } catch (err) {
    throw new ModelFileError(jsonFile, 'damaged', `not valid JSON: ${(err as Error).message}`);
  }
  if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(jsonFile, 'damaged', 'no modelTopology or weightsManifest');
  }
  const manifest = json.weightsManifest;
  const paths = manifest.flatMap((group) => group.paths.map((p) => `${dir}/${p}`));
  const shards = await Promise.all(paths.map((file) => fetchVerified(file, modelsUrl, sums, fetchFn)));
  const weightData = new Uint8Array(shards.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const shard of shards) {
    weightData.set(shard, offset);
    offset += shard.byteLength;
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: manifest.flatMap((group) => group.weights),
    weightData: weightData.buffer,
  };
}
