import { type UseStore, createStore, get, set } from 'idb-keyval';
import { type FeatureCache, type FeatureKey, type StoredActivation, elementCount, keyString } from '../src/core/gallery/feature-cache';

/**
 * The browser's feature cache: IndexedDB through idb-keyval, same interface as the CLI's disk cache. Keys embed
 * the model fingerprint and the image's content hash, so a changed model or image can never hit a stale entry.
 * Storage errors (quota, private mode) degrade to misses: the features are simply computed again.
 */
export class IdbFeatureCache implements FeatureCache {
  private readonly store: UseStore;

  constructor(database = 'convlens', table = 'features') {
    this.store = createStore(database, table);
  }

  async get(key: FeatureKey): Promise<StoredActivation | undefined> {
    try {
      const value = (await get(keyString(key), this.store)) as StoredActivation | undefined;
      if (!value || !(value.data instanceof Float32Array) || value.data.length !== elementCount(value.shape)) return undefined;
      return value;
    } catch {
      return undefined;
    }
  }

  async set(key: FeatureKey, value: StoredActivation): Promise<void> {
    try {
      await set(keyString(key), { shape: [...value.shape], data: value.data.slice() }, this.store);
    } catch {
      // A full or unavailable store only costs a recomputation next time.
    }
  }
}
