import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidInputError } from '../core/errors';
import { type FeatureCache, type FeatureKey, type StoredActivation, elementCount } from '../core/gallery/feature-cache';

/**
 * Where the CLI keeps its cache (features and the gallery index) unless --cache says otherwise:
 * $CONVLENS_CACHE_DIR, else $XDG_CACHE_HOME/convlens, else ~/.cache/convlens.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['CONVLENS_CACHE_DIR']) return resolve(env['CONVLENS_CACHE_DIR']);
  const xdg = env['XDG_CACHE_HOME'];
  return resolve(xdg ? xdg : join(homedir(), '.cache'), 'convlens');
}

/** 'CLF1': ConvLens float32 tensor, version 1. */
const MAGIC = 0x31464c43;
const MAX_RANK = 8;

/** Header (magic, rank, dims as little-endian uint32) then float32 values, little-endian. */
export function encodeActivation(value: StoredActivation): Uint8Array {
  const header = 8 + 4 * value.shape.length;
  const bytes = new Uint8Array(header + value.data.length * 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, value.shape.length, true);
  value.shape.forEach((d, i) => view.setUint32(8 + 4 * i, d, true));
  value.data.forEach((v, i) => view.setFloat32(header + 4 * i, v, true));
  return bytes;
}

/** The inverse of encodeActivation; undefined for anything truncated, padded or foreign. */
export function decodeActivation(bytes: Uint8Array): StoredActivation | undefined {
  if (bytes.byteLength < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return undefined;
  const rank = view.getUint32(4, true);
  if (rank > MAX_RANK || bytes.byteLength < 8 + 4 * rank) return undefined;
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(8 + 4 * i, true));
  const header = 8 + 4 * rank;
  const count = elementCount(shape);
  if (bytes.byteLength !== header + 4 * count) return undefined;
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(header + 4 * i, true);
  return { shape, data };
}

/** Keeps names from escaping the cache folder or clashing with case-insensitive file systems' rules. */
function safeSegment(name: string): string {
  return encodeURIComponent(name).replace(/\*/g, '%2A').replace(/^\.+/, (dots) => '%2E'.repeat(dots.length));
}

let tmpCounter = 0;

/**
 * Feature cache on disk: one small file per (model, layer, image) under DIR/features/. Writes go to a temporary
 * file renamed into place, so a crash or two CLI runs at once never leave a half-written entry to be read.
 */
export class DiskFeatureCache implements FeatureCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  pathOf({ model, image, layer }: FeatureKey): string {
    return join(this.dir, 'features', safeSegment(model), safeSegment(layer), `${safeSegment(image)}.f32`);
  }

  async get(key: FeatureKey): Promise<StoredActivation | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new InvalidInputError(`cannot read the feature cache at ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return decodeActivation(bytes);
  }

  async set(key: FeatureKey, value: StoredActivation): Promise<void> {
    const path = this.pathOf(key);
    const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(tmp, encodeActivation(value));
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new InvalidInputError(`cannot write to the feature cache at ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}
