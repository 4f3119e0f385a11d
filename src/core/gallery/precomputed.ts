import { type FeatureCache, type FeatureKey, type StoredActivation, elementCount } from './feature-cache';

/**
 * Gallery features computed ahead of time (scripts/gallery-features.ts, `npm run gallery:features`) and shipped
 * with the app, so that a first visit runs no forward pass for the bundled pictures: an index (features.json) and
 * one binary file of IEEE 754 half-precision values (features.bin, little-endian), one row per picture and model.
 * Rows are keyed like the feature cache: model fingerprint (`modelKey`), layer and image content id (`contentId`),
 * so a changed picture or model simply misses and is computed as before.
 */

/** The `format` string of features.json; a file with another one is ignored. */
export const PRECOMPUTED_FORMAT = 'convlens-precomputed-features/1';

/** One model's block of rows in features.bin. */
export interface PrecomputedBlock {
  /** Which model (a ModelId such as 'lite'); informational. */
  model: string;
  /** The model fingerprint the rows were computed with (`modelKey`). */
  key: string;
  /** Layer name of the pooled features, e.g. global_average_pooling2d_1. */
  layer: string;
  /** Shape of one row without the batch dimension, e.g. [256]. */
  shape: number[];
  /** Byte offset of the block's first row in features.bin (a multiple of 2). */
  offset: number;
  /** Image content ids, one per row, in row order. */
  images: string[];
}

/** The parsed features.json. */
export interface PrecomputedIndex {
  format: typeof PRECOMPUTED_FORMAT;
  /** Element type of features.bin. */
  dtype: 'float16';
  blocks: PrecomputedBlock[];
}

/** The rows of one model to pack: `vectors[i]` belongs to `images[i]` and has elementCount(shape) values. */
export interface PrecomputedRows {
  model: string;
  key: string;
  layer: string;
  shape: number[];
  images: string[];
  vectors: Float32Array[];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * IEEE 754 binary32 → binary16 bits, rounding to nearest even; overflow gives ±Infinity, tiny values subnormals
 * or ±0, NaN stays NaN. Relative error of a normal value ≤ 2⁻¹¹ (4.9·10⁻⁴).
 */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (rest > mid || (rest === mid && (half & 1)) ? half + 1 : half);
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent (up to Infinity): the right result.
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** IEEE 754 binary16 bits → the number they encode (exact). */
export function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Packs rows into features.json's index and features.bin's bytes (float16, little-endian). */
export function packPrecomputed(models: readonly PrecomputedRows[]): { index: PrecomputedIndex; data: Uint8Array } {
  const total = models.reduce((n, m) => n + m.images.length * elementCount(m.shape), 0);
  const data = new Uint8Array(total * 2);
  const view = new DataView(data.buffer);
  const blocks: PrecomputedBlock[] = [];
  let offset = 0;
  for (const m of models) {
    const size = elementCount(m.shape);
    if (m.vectors.length !== m.images.length) throw new Error(`${m.model}: ${m.vectors.length} vectors for ${m.images.length} images`);
    blocks.push({ model: m.model, key: m.key, layer: m.layer, shape: [...m.shape], offset, images: [...m.images] });
    for (const v of m.vectors) {
      if (v.length !== size) throw new Error(`${m.model}: a vector has ${v.length} values, the shape [${m.shape.join(', ')}] ${size}`);
      for (let j = 0; j < size; j++) view.setUint16(offset + 2 * j, toHalf(v[j]!), true);
      offset += 2 * size;
    }
  }
  return { index: { format: PRECOMPUTED_FORMAT, dtype: 'float16', blocks }, data };
}

/** Shipped features, looked up by FeatureKey. */
export class PrecomputedFeatures {
  private readonly rows = new Map<string, { block: PrecomputedBlock; row: number }>();
  private readonly view: DataView;

  /**
   * Checks the index against the bytes: a wrong format, dtype or a block that runs past the end of the data
   * throws an Error naming the problem (the caller then goes without precomputed features).
   */
  constructor(
    readonly index: PrecomputedIndex,
    data: Uint8Array,
  ) {
    if (index.format !== PRECOMPUTED_FORMAT || index.dtype !== 'float16') throw new Error(`precomputed features: unknown format ${String(index.format)}/${String(index.dtype)}`);
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (const block of index.blocks) {
      const end = block.offset + block.images.length * elementCount(block.shape) * 2;
      if (end > data.byteLength) throw new Error(`precomputed features: block ${block.model} needs ${end} bytes, features.bin has ${data.byteLength}`);
      block.images.forEach((image, row) => this.rows.set(`${block.key}/${block.layer}/${image}`, { block, row }));
    }
  }

  /** Number of rows over all models. */
  get size(): number {
    return this.rows.size;
  }

  /** The row for `key` as float32 (a fresh copy), or undefined. */
  get({ model, layer, image }: FeatureKey): StoredActivation | undefined {
    const hit = this.rows.get(`${model}/${layer}/${image}`);
    if (!hit) return undefined;
    const size = elementCount(hit.block.shape);
    const start = hit.block.offset + hit.row * size * 2;
    const data = new Float32Array(size);
    for (let j = 0; j < size; j++) data[j] = fromHalf(this.view.getUint16(start + 2 * j, true));
    return { shape: [...hit.block.shape], data };
  }
}

/**
 * A FeatureCache that answers from the shipped features first and from `inner` (IndexedDB, disk, memory) for the
 * rest; writes go to `inner`. `load` runs once, on the first lookup (lazily: nothing is fetched before a gallery
 * job); when it fails or resolves undefined, every lookup goes to `inner`, as without shipped features.
 */
export class PrecomputedFeatureCache implements FeatureCache {
  private loaded: Promise<PrecomputedFeatures | undefined> | undefined;
  /** Lookups answered from the shipped features. */
  hits = 0;

  constructor(
    private readonly load: () => Promise<PrecomputedFeatures | undefined>,
    private readonly inner?: FeatureCache,
  ) {}

  /** The shipped features, loaded on first use (undefined when there are none or they could not be read). */
  features(): Promise<PrecomputedFeatures | undefined> {
    this.loaded ??= this.load().catch(() => undefined);
    return this.loaded;
  }

  async get(key: FeatureKey): Promise<StoredActivation | undefined> {
    const hit = (await this.features())?.get(key);
    if (hit) {
      this.hits++;
      return hit;
    }
    return this.inner?.get(key);
  }

  async set(key: FeatureKey, value: StoredActivation): Promise<void> {
    await this.inner?.set(key, value);
  }
}
