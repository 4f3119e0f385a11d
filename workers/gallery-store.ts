import { createStore, delMany, get, keys, set, values } from 'idb-keyval';
import type { GalleryEntry } from '../src/core/gallery/gallery';
import { GalleryStore, type GalleryStoreOptions, type ImageRecords, type StoredImage } from '../src/core/gallery/store';
import { isAcceptedType } from '../src/core/gallery/validate';
import type { RgbaImage } from '../src/core/preprocess';
import { decodePictureBytes } from './picture-decode';

/**
 * The browser's gallery store: the pictures operators and lecturers import and the snapshots visitors save, in
 * IndexedDB (database "convlens-gallery", separate from the feature cache), one record per picture keyed by its
 * content id. The page writes imports, the worker writes snapshots and reads everything for each gallery job; a
 * BroadcastChannel tells every page and worker of the origin when the gallery changed.
 */

export const GALLERY_DB = 'convlens-gallery';
const GALLERY_TABLE = 'images';
const CHANNEL_NAME = 'convlens-gallery';

function isRecord(value: unknown): value is StoredImage {
  const r = value as Partial<StoredImage> | undefined;
  return !!r && typeof r.id === 'string' && typeof r.name === 'string' && typeof r.type === 'string' && isAcceptedType(r.type) && r.bytes instanceof Uint8Array;
}

/** The records in IndexedDB (idb-keyval); a damaged record is passed over. Writes reject with IndexedDB's error. */
export class IdbImageRecords implements ImageRecords {
  private readonly store = createStore(GALLERY_DB, GALLERY_TABLE);

  async get(id: string): Promise<StoredImage | undefined> {
    const value: unknown = await get(id, this.store);
    return isRecord(value) ? value : undefined;
  }

  put(record: StoredImage): Promise<void> {
    return set(record.id, record, this.store);
  }

  delete(ids: readonly string[]): Promise<void> {
    return delMany([...ids], this.store);
  }

  async all(): Promise<StoredImage[]> {
    return ((await values(this.store)) as unknown[]).filter(isRecord);
  }
}

let channel: BroadcastChannel | undefined;
const local = new EventTarget();

function sharedChannel(): BroadcastChannel | undefined {
  if (!channel && typeof BroadcastChannel === 'function') channel = new BroadcastChannel(CHANNEL_NAME);
  return channel;
}

/** Tells this context and every other page or worker of the origin that the stored gallery changed. */
export function notifyGalleryChanged(): void {
  local.dispatchEvent(new Event('change'));
  sharedChannel()?.postMessage('changed');
}

/** Calls `listener` whenever the stored gallery changes, here or in another context; returns the unsubscribe. */
export function onGalleryChange(listener: () => void): () => void {
  local.addEventListener('change', listener);
  sharedChannel()?.addEventListener('message', listener);
  return () => {
    local.removeEventListener('change', listener);
    channel?.removeEventListener('message', listener);
  };
}

/** A store over IndexedDB that announces its changes. */
export function idbGalleryStore(options: GalleryStoreOptions = {}): GalleryStore {
  return new GalleryStore(new IdbImageRecords(), {
    ...options,
    onChange: () => {
      options.onChange?.();
      notifyGalleryChanged();
    },
  });
}

/** The feature cache's entries (keys "model/layer/imageId") computed from these pictures. */
async function forgetFeatures(ids: readonly string[]): Promise<void> {
  const features = createStore('convlens', 'features');
  const gone = new Set(ids);
  const stale = (await keys<string>(features)).filter((k) => typeof k === 'string' && gone.has(k.slice(k.lastIndexOf('/') + 1)));
  if (stale.length > 0) await delMany(stale, features);
}

/**
 * Forgets the visitors' snapshots (kiosk idle reset): their pictures and the features computed from them. Imported
 * pictures (an operator's or lecturer's) stay. Resolves to the number of snapshots removed.
 */
export async function forgetSnapshots(): Promise<number> {
  const ids = await idbGalleryStore().forgetSnapshots();
  await forgetFeatures(ids).catch(() => undefined);
  return ids.length;
}

/** A Blob of stored bytes (IndexedDB hands back plain ArrayBuffer-backed arrays). */
export function blobOf(bytes: Uint8Array, type: string): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type });
}

/** A picture as a PNG file's bytes (OffscreenCanvas: works in pages and workers). */
export async function encodePng(image: RgbaImage): Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const pixels = new Uint8ClampedArray(image.data.buffer as ArrayBuffer, image.data.byteOffset, image.data.byteLength);
  canvas.getContext('2d')!.putImageData(new ImageData(pixels, image.width, image.height), 0, 0);
  return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
}

/** How the stored gallery turns pixels into a file and back (OffscreenCanvas in a browser, pngjs/jpeg-js in Node). */
export interface ImageCodec {
  encodePng(image: RgbaImage): Promise<Uint8Array>;
  decode(bytes: Uint8Array, type: string): Promise<RgbaImage>;
}

/** What the inference worker's handler needs from the store (HandlerEnvironment.storedGallery). */
export interface StoredGallery {
  /** The stored pictures as gallery entries, read afresh on every call (imports show up without a restart). */
  entries(): Promise<GalleryEntry[]>;
  /** Stores a visitor's snapshot as a PNG with origin 'snapshot'; resolves to its id (an identical one counts). */
  addSnapshot(name: string, image: RgbaImage): Promise<string>;
}

export function storedGalleryOf(store: GalleryStore, codec: ImageCodec): StoredGallery {
  return {
    async entries() {
      // An unavailable store (private mode, blocked storage) leaves the bundled gallery.
      const records = await store.list().catch(() => []);
      return records.map((r) => ({ id: r.id, name: r.name, decode: () => codec.decode(r.bytes, r.type) }));
    },
    async addSnapshot(name, image) {
      const outcome = await store.add(name, await codec.encodePng(image), 'snapshot');
      if ((outcome.status === 'stored' || outcome.status === 'duplicate') && outcome.id) return outcome.id;
      throw new Error(outcome.message);
    },
  };
}

/**
 * The worker's stored gallery: IndexedDB, decoded through createImageBitmap with the picture rules (orientation
 * from the file, alpha composited over the picture background, reduced: workers/picture-decode.ts), snapshots
 * encoded by OffscreenCanvas.
 */
export function workerStoredGallery(): StoredGallery {
  return storedGalleryOf(idbGalleryStore(), { encodePng, decode: (bytes, type) => decodePictureBytes(bytes, type) });
}
