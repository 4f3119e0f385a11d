/**
 * Storage-agnostic cache of computed activations, keyed by (model, image, layer). Async throughout so that disk
 * (Node, src/node/disk-feature-cache.ts) and IndexedDB (browser) implementations fit the same interface.
 */

export interface FeatureKey {
  /** Model fingerprint (see `modelKey`): a changed model gets a new key, so old entries are never returned. */
  model: string;
  /** Image content id (see `contentId`). */
  image: string;
  /** Layer name, e.g. the global-average-pooling layer for the pooled feature vector. */
  layer: string;
}

/** A stored activation: its shape without the batch dimension and its values, row-major. */
export interface StoredActivation {
  /** Shape without the batch dimension, e.g. [7, 7, 1024] or [1024]. */
  shape: number[];
  /** elementCount(shape) values, row-major (channel fastest). */
  data: Float32Array;
}

/**
 * Where the gallery's computed activations are kept between runs, keyed by FeatureKey: MemoryFeatureCache here, a
 * disk cache in Node (src/node/disk-feature-cache.ts), IndexedDB in the browser.
 */
export interface FeatureCache {
  /** The stored value, or undefined on a miss (a damaged entry also counts as a miss). */
  get(key: FeatureKey): Promise<StoredActivation | undefined>;
  /** Stores `value` under `key`, replacing any earlier entry. */
  set(key: FeatureKey, value: StoredActivation): Promise<void>;
}

/** The one string a FeatureKey is stored under: `${model}/${layer}/${image}`. */
export function keyString({ model, image, layer }: FeatureKey): string {
  return `${model}/${layer}/${image}`;
}

/** Number of values in a tensor of `shape` (the product of its dimensions; 1 for []). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** In-memory cache (tests, one kiosk session); values are copied in and out so callers cannot alter entries. */
export class MemoryFeatureCache implements FeatureCache {
  private readonly entries = new Map<string, StoredActivation>();

  get size(): number {
    return this.entries.size;
  }

  async get(key: FeatureKey): Promise<StoredActivation | undefined> {
    const hit = this.entries.get(keyString(key));
    return hit && { shape: [...hit.shape], data: hit.data.slice() };
  }

  async set(key: FeatureKey, value: StoredActivation): Promise<void> {
    this.entries.set(keyString(key), { shape: [...value.shape], data: value.data.slice() });
  }

  clear(): void {
    this.entries.clear();
  }
}
