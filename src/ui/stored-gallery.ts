import type { StoredImage } from '../core/gallery/store';
import { blobOf, idbGalleryStore, onGalleryChange } from '../../workers/gallery-store';

/** A stored picture as the page shows it: the record without its bytes, and an object URL of them. */
export interface ShownImage extends Omit<StoredImage, 'bytes'> {
  size: number;
  url: string;
}

/**
 * The page's view of the stored gallery, kept in step with IndexedDB: refreshed whenever the page, the worker (a
 * visitor's snapshot) or another tab changes it. Each picture gets one object URL, revoked when it leaves.
 * Fires 'change' after each refresh.
 */
class StoredGalleryView extends EventTarget {
  images: ShownImage[] = [];
  /** Why the store could not be read (IndexedDB unavailable), if it could not. */
  error: string | null = null;
  private readonly urls = new Map<string, string>();
  private started = false;
  private queue: Promise<void> = Promise.resolve();

  start(): void {
    if (this.started) return;
    this.started = true;
    onGalleryChange(() => void this.refresh());
    void this.refresh();
  }

  /** Re-reads the store (refreshes run one after another). */
  refresh(): Promise<void> {
    this.queue = this.queue.then(() => this.load());
    return this.queue;
  }

  url(id: string): string | undefined {
    return this.urls.get(id);
  }

  private async load(): Promise<void> {
    let records: StoredImage[];
    try {
      records = await idbGalleryStore().list();
      this.error = null;
    } catch (err) {
      this.error = `The stored gallery cannot be read: ${err instanceof Error ? err.message : String(err)}`;
      records = [];
    }
    const ids = new Set(records.map((r) => r.id));
    for (const [id, url] of this.urls) {
      if (!ids.has(id)) {
        URL.revokeObjectURL(url);
        this.urls.delete(id);
      }
    }
    this.images = records.map(({ bytes, ...meta }) => {
      let url = this.urls.get(meta.id);
      if (!url) {
        url = URL.createObjectURL(blobOf(bytes, meta.type));
        this.urls.set(meta.id, url);
      }
      return { ...meta, size: bytes.length, url };
    });
    this.dispatchEvent(new Event('change'));
  }
}

export const storedGallery = new StoredGalleryView();

/** The object URL of a stored picture (import or snapshot) by content id, for thumbnails; undefined if not stored. */
export function storedThumbnail(id: string): string | undefined {
  storedGallery.start();
  return storedGallery.url(id);
}
