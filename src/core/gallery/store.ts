import { type BundleImage, BundleError, type GalleryOrigin, decodeBundle, encodeBundle, looksLikeBundle } from './bundle';
import { contentId } from './gallery';
import { type AcceptedImageType, DEFAULT_MAX_IMAGE_BYTES, type ImageCheckOptions, checkImageBytes, formatBytes, rejectionMessage, sizeProblem } from './validate';

/**
 * The gallery pictures a browser keeps (imports and visitors' snapshots), storage-agnostic and DOM-free: the
 * records live in IndexedDB in the app (workers/gallery-store.ts) and in a Map in tests. Every picture is checked
 * before it is written, each is written on its own, and a failure (a refused file, a full disk) is reported for
 * that file alone: what was stored before stays stored.
 */

/** A stored picture: its bytes as imported (or the PNG of a snapshot), known by their content hash. */
export interface StoredImage extends BundleImage {
  /** `contentId(bytes)`: the id the feature cache and the worker's gallery use. */
  id: string;
}

/** Where the records live. Writes reject on failure (e.g. a DOMException named QuotaExceededError). */
export interface ImageRecords {
  /** The record with content id `id`, or undefined. */
  get(id: string): Promise<StoredImage | undefined>;
  /** Writes (or replaces) one record; rejects when storage fails (e.g. QuotaExceededError). */
  put(record: StoredImage): Promise<void>;
  /** Removes the records with these ids (unknown ids are ignored). */
  delete(ids: readonly string[]): Promise<void>;
  /** Every record, in no particular order. */
  all(): Promise<StoredImage[]>;
}

/** What became of one file (or one picture inside a gallery file). */
export interface ImportOutcome {
  /** The file name (for a picture inside a gallery file, its name there). */
  name: string;
  /**
   * 'stored' written; 'duplicate' already stored or bundled (same content id), skipped; 'rejected' refused by a check
   * (type, size, damage, not decodable); 'failed' the write itself failed (e.g. storage full).
   */
  status: 'stored' | 'duplicate' | 'rejected' | 'failed';
  /** One line naming the file, ready to show. */
  message: string;
  /** The content id, for stored pictures and duplicates. */
  id?: string;
}

/** Largest gallery file accepted for import. */
export const DEFAULT_MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

/**
 * Options of a GalleryStore: limits (maxBytes per picture, from ImageCheckOptions, and maxBundleBytes per gallery
 * file) and hooks into the platform.
 */
export interface GalleryStoreOptions extends ImageCheckOptions {
  /** Largest gallery file (default DEFAULT_MAX_BUNDLE_BYTES). */
  maxBundleBytes?: number;
  /** Pictures in the gallery without being stored (the bundled ones): id → name. Imports of these are skipped. */
  known?: () => Promise<ReadonlyMap<string, string>>;
  /** A last check that the platform can decode the picture (createImageBitmap in a browser): a reason if not. */
  decodes?: (bytes: Uint8Array, type: AcceptedImageType) => Promise<string | undefined>;
  /** Called after every change (write or removal). */
  onChange?: () => void;
  /** Clock for `added` times, ms since the epoch (default Date.now; tests pass a counter). */
  now?: () => number;
}

/** The one-line message for a failed write: "Storage is full: …" for quota errors. */
export function storageFailure(name: string, err: unknown): string {
  const errName = err instanceof Error || (typeof err === 'object' && err !== null && 'name' in err) ? String((err as { name: unknown }).name) : '';
  const message = err instanceof Error ? err.message : String(err);
  if (errName === 'QuotaExceededError' || /quota/i.test(message)) {
    return `Storage is full: ${name} was not stored (${errName || 'quota exceeded'}). Remove some pictures to make room.`;
  }
  return `${name}: could not be stored (${errName ? `${errName}: ` : ''}${message.split('\n')[0]})`;
}

/**
 * The browser gallery's stored pictures over an ImageRecords backend: add, import a picked file or gallery file,
 * remove, forget snapshots, export. Every picture is checked (checkImageBytes, then `decodes`) before it is written;
 * each outcome is reported per file (ImportOutcome) and a failure never undoes earlier writes. Methods do not throw
 * for bad files; they report them.
 */
export class GalleryStore {
  constructor(
    private readonly records: ImageRecords,
    private readonly options: GalleryStoreOptions = {},
  ) {}

  private lastAdded = 0;

  /** Now, but after the previous addition: files added in the same millisecond keep their order. */
  private nextTime(): number {
    this.lastAdded = Math.max(this.options.now?.() ?? Date.now(), this.lastAdded + 1);
    return this.lastAdded;
  }

  /** All stored pictures, oldest first. */
  async list(): Promise<StoredImage[]> {
    return (await this.records.all()).sort((a, b) => a.added - b.added || a.name.localeCompare(b.name));
  }

  /** Checks one picture's bytes and stores them unless refused or already in the gallery. */
  async add(name: string, bytes: Uint8Array, origin: GalleryOrigin = 'import', added?: number): Promise<ImportOutcome> {
    const check = checkImageBytes(bytes, this.options);
    if (!check.ok) return { name, status: 'rejected', message: rejectionMessage(name, check.reason) };
    const undecodable = await this.options.decodes?.(bytes, check.type);
    if (undecodable) return { name, status: 'rejected', message: rejectionMessage(name, undecodable) };
    const id = await contentId(bytes);
    const stored = await this.records.get(id).catch(() => undefined);
    if (stored) return { name, id, status: 'duplicate', message: rejectionMessage(name, `already in the gallery as ${stored.name}; skipped`) };
    const bundled = (await this.options.known?.())?.get(id);
    if (bundled) return { name, id, status: 'duplicate', message: rejectionMessage(name, `already in the gallery as ${bundled} (bundled); skipped`) };
    try {
      await this.records.put({ id, name, type: check.type, origin, added: added ?? this.nextTime(), bytes });
    } catch (err) {
      return { name, id, status: 'failed', message: storageFailure(name, err) };
    }
    this.options.onChange?.();
    return { name, id, status: 'stored', message: `${name}: added (${formatBytes(bytes.length)})` };
  }

  /**
   * One file as picked or dropped: a gallery file (JSON) imports its pictures one by one, anything else is one
   * picture. `read(end)` reads the file (its first `end` bytes when given), so an oversized picture is refused
   * after a glance at its first bytes rather than read whole.
   */
  async importFile(name: string, size: number, read: (end?: number) => Promise<Uint8Array>): Promise<ImportOutcome[]> {
    const reject = (reason: string): ImportOutcome[] => [{ name, status: 'rejected', message: rejectionMessage(name, reason) }];
    const maxBundle = this.options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
    const readOrReason = async (end?: number): Promise<Uint8Array | string> =>
      read(end).catch((err: unknown) => `could not be read (${err instanceof Error ? err.message : String(err)})`);
    if (size > (this.options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES)) {
      const head = await readOrReason(64);
      if (typeof head === 'string') return reject(head);
      const tooLarge = sizeProblem(size, { maxBytes: looksLikeBundle(head) ? maxBundle : this.options.maxBytes });
      if (tooLarge) return reject(tooLarge);
    }
    const bytes = await readOrReason();
    if (typeof bytes === 'string') return reject(bytes);
    return looksLikeBundle(bytes) ? this.importBundle(name, bytes) : [await this.add(name, bytes)];
  }

  /** A gallery file's pictures, each checked and stored on its own (origins and dates kept). */
  async importBundle(fileName: string, content: string | Uint8Array): Promise<ImportOutcome[]> {
    let decoded;
    try {
      decoded = decodeBundle(fileName, content, this.options);
    } catch (err) {
      if (err instanceof BundleError) return [{ name: fileName, status: 'rejected', message: err.message }];
      throw err;
    }
    if (decoded.images.length + decoded.rejected.length === 0) return [{ name: fileName, status: 'rejected', message: `${fileName}: the gallery file holds no pictures` }];
    const outcomes: ImportOutcome[] = decoded.rejected.map((r) => ({ name: r.name, status: 'rejected', message: rejectionMessage(`${r.name} (in ${fileName})`, r.reason) }));
    for (const image of decoded.images) outcomes.push(await this.add(image.name, image.bytes, image.origin, image.added));
    return outcomes;
  }

  /** Removes the pictures with these content ids, then calls onChange; rejects if the backend's delete does. */
  async remove(ids: readonly string[]): Promise<void> {
    await this.records.delete(ids);
    this.options.onChange?.();
  }

  /** Removes the visitors' snapshots, keeps imported pictures; resolves to the ids removed. */
  async forgetSnapshots(): Promise<string[]> {
    const ids = (await this.records.all()).filter((r) => r.origin === 'snapshot').map((r) => r.id);
    if (ids.length > 0) await this.remove(ids);
    return ids;
  }

  /** The whole stored gallery as one gallery file (see bundle.ts). */
  async exportBundle(exported = new Date()): Promise<string> {
    return encodeBundle(await this.list(), exported);
  }
}

/** Records in a Map: one session (tests, or a browser without IndexedDB). Copies in and out, like a real store. */
export class MemoryImageRecords implements ImageRecords {
  private readonly map = new Map<string, StoredImage>();

  async get(id: string): Promise<StoredImage | undefined> {
    const r = this.map.get(id);
    return r && { ...r, bytes: r.bytes.slice() };
  }

  async put(record: StoredImage): Promise<void> {
    this.map.set(record.id, { ...record, bytes: record.bytes.slice() });
  }

  async delete(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.map.delete(id);
  }

  async all(): Promise<StoredImage[]> {
    return [...this.map.values()].map((r) => ({ ...r, bytes: r.bytes.slice() }));
  }
}
