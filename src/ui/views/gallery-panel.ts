import { LitElement, css, html, nothing } from 'lit';
import { controlStyles } from '../control-styles';
import { repeat } from 'lit/directives/repeat.js';
import { BUNDLE_EXTENSION } from '../../core/gallery/bundle';
import { contentId } from '../../core/gallery/gallery';
import type { GalleryStore, ImportOutcome } from '../../core/gallery/store';
import { type AcceptedImageType, DEFAULT_MAX_IMAGE_BYTES, formatBytes } from '../../core/gallery/validate';
import { blobOf, forgetSnapshots, idbGalleryStore } from '../../../workers/gallery-store';
import { storedGallery, type ShownImage } from '../stored-gallery';

export { forgetSnapshots };

/** The bundled pictures (gallery/gallery.json) by content id: importing one of them again is skipped. */
let bundledIds: Promise<ReadonlyMap<string, string>> | undefined;
function bundled(): Promise<ReadonlyMap<string, string>> {
  bundledIds ??= (async () => {
    const base = new URL('gallery/', document.baseURI);
    const list = (await (await fetch(new URL('gallery.json', base))).json()) as { images: string[] };
    const pairs = await Promise.all(
      list.images.map(async (name): Promise<[string, string] | undefined> => {
        const response = await fetch(new URL(name, base));
        return response.ok ? [await contentId(new Uint8Array(await response.arrayBuffer())), name] : undefined;
      }),
    );
    return new Map(pairs.filter((p): p is [string, string] => p !== undefined));
  })().catch(() => new Map<string, string>());
  return bundledIds;
}

/** The browser's own decoder has the last word (the byte checks catch what it would silently paint grey). */
async function decodes(bytes: Uint8Array, type: AcceptedImageType): Promise<string | undefined> {
  try {
    const bitmap = await createImageBitmap(blobOf(bytes, type));
    const empty = bitmap.width === 0 || bitmap.height === 0;
    bitmap.close();
    return empty ? 'the browser decodes it to an empty picture' : undefined;
  } catch {
    return 'damaged: the browser cannot decode it';
  }
}

const readFile =
  (file: File) =>
  async (end?: number): Promise<Uint8Array> =>
    new Uint8Array(await (end === undefined ? file : file.slice(0, end)).arrayBuffer());

/**
 * The stored gallery: pictures an operator or lecturer imports (file picker, drag and drop, or a gallery file
 * exported from another kiosk) and the snapshots visitors save, with a Remove button each, export as one file,
 * and one message per refused file. Everything is kept in this browser's IndexedDB.
 */
export class GalleryPanel extends LitElement {
  static override properties = {
    images: { state: true },
    results: { state: true },
    busy: { state: true },
    usage: { state: true },
    dragging: { state: true },
    storeError: { state: true },
  };

  static override styles = [controlStyles, css`
    :host { display: block; }
    button:disabled { opacity: .5; cursor: default; }
    .drop { border: 2px dashed #555; border-radius: .5rem; padding: .5rem; display: flex; flex-wrap: wrap; gap: .25rem; align-items: center; }
    .drop.dragging { border-color: #f6a21a; background: #2a2000; }
    .drop p { margin: 0 0 .25rem; flex-basis: 100%; font-size: .9rem; color: #bbb; }
    input[type='file'] { display: none; }
    .results:empty { display: none; }
    .results { margin: .5rem 0; }
    .results p { margin: 0 0 .25rem; font-weight: bold; }
    .results ul, ul.images { list-style: none; margin: 0; padding: 0; }
    .results li { padding: .2rem .4rem; border-radius: .25rem; margin-bottom: .15rem; font-size: .9rem; overflow-wrap: anywhere; }
    .results li.stored { background: #12301a; }
    .results li.duplicate { background: #2a2a2a; }
    .results li.rejected, .results li.failed { background: #4a1010; border: 1px solid #f66; }
    ul.images li { display: grid; grid-template-columns: 3rem minmax(0, 1fr) auto; gap: .5rem; align-items: center; margin: .25rem 0; }
    ul.images img { width: 3rem; height: 3rem; object-fit: cover; border-radius: .2rem; background: #202020; }
    .name { overflow-wrap: anywhere; font-size: .9rem; }
    .origin { display: block; color: #bbb; font-size: .8rem; }
    .note, .usage { font-size: .85rem; color: #bbb; margin: .4rem 0; }
    .error { background: #4a1010; border: 1px solid #f66; padding: .4rem .6rem; border-radius: .35rem; }
  `];

  images: ShownImage[] = [];
  results: ImportOutcome[] = [];
  busy = false;
  usage = '';
  dragging = false;
  storeError: string | null = null;
  /** Largest picture accepted. */
  maxBytes = DEFAULT_MAX_IMAGE_BYTES;

  private store(): GalleryStore {
    return idbGalleryStore({ maxBytes: this.maxBytes, known: bundled, decodes });
  }

  private readonly onStoreChange = (): void => {
    this.images = storedGallery.images;
    this.storeError = storedGallery.error;
    void this.updateUsage();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    storedGallery.addEventListener('change', this.onStoreChange);
    storedGallery.start();
    this.onStoreChange();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    storedGallery.removeEventListener('change', this.onStoreChange);
  }

  private async updateUsage(): Promise<void> {
    const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
    if (estimate?.usage !== undefined && estimate.quota) this.usage = `Browser storage used: ${formatBytes(estimate.usage)} of ${formatBytes(estimate.quota)}`;
  }

  /** Imports files one by one; each gets its own outcome line, and a failure never touches what is stored. */
  async importFiles(files: readonly File[]): Promise<ImportOutcome[]> {
    if (files.length === 0) return [];
    this.busy = true;
    this.results = [];
    const store = this.store();
    for (const file of files) {
      let outcomes: ImportOutcome[];
      try {
        outcomes = await store.importFile(file.name, file.size, readFile(file));
      } catch (err) {
        outcomes = [{ name: file.name, status: 'failed', message: `${file.name}: ${err instanceof Error ? err.message : String(err)}` }];
      }
      this.results = [...this.results, ...outcomes];
    }
    this.busy = false;
    if (this.results.some((r) => r.status === 'stored')) void navigator.storage?.persist?.().catch(() => false);
    await storedGallery.refresh();
    return this.results;
  }

  private pick(kind: 'images' | 'bundle'): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>(`input.${kind}`);
    // After the key event, not inside it: Chromium opens no file chooser from within an Enter keypress's click
    // (Space, a click or a touch work either way); the user activation lasts long enough.
    setTimeout(() => input?.click());
  }

  private onPicked = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    void this.importFiles(files);
  };

  private onDragOver = (event: DragEvent): void => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  };

  private onDrop = (event: DragEvent): void => {
    event.preventDefault();
    event.stopPropagation();
    this.dragging = false;
    void this.importFiles([...(event.dataTransfer?.files ?? [])]);
  };

  private async exportGallery(): Promise<void> {
    this.busy = true;
    try {
      const text = await this.store().exportBundle();
      const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `gallery-${new Date().toISOString().slice(0, 10)}${BUNDLE_EXTENSION}`;
      this.renderRoot.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.results = [];
    } catch (err) {
      this.results = [{ name: 'export', status: 'failed', message: `The gallery could not be exported: ${err instanceof Error ? err.message : String(err)}` }];
    } finally {
      this.busy = false;
    }
  }

  private async removeImage(image: ShownImage): Promise<void> {
    const index = this.images.findIndex((i) => i.id === image.id);
    try {
      await this.store().remove([image.id]);
    } catch (err) {
      this.results = [{ name: image.name, status: 'failed', message: `${image.name}: could not be removed (${err instanceof Error ? err.message : String(err)})` }];
    }
    await storedGallery.refresh();
    await this.updateComplete;
    // Keyboard users stay in the list: focus moves to the next picture's Remove button (or the import button).
    const buttons = this.renderRoot.querySelectorAll<HTMLButtonElement>('ul.images button');
    (buttons[Math.min(index, buttons.length - 1)] ?? this.renderRoot.querySelector<HTMLButtonElement>('.drop button'))?.focus();
  }

  private async forget(): Promise<void> {
    const n = await forgetSnapshots();
    this.results = [{ name: 'snapshots', status: 'stored', message: `Forgot ${n} visitor ${n === 1 ? 'snapshot' : 'snapshots'}.` }];
    await storedGallery.refresh();
  }

  private summary(): string {
    const count = (s: ImportOutcome['status']): number => this.results.filter((r) => r.status === s).length;
    const parts = [`${count('stored')} added`];
    if (count('duplicate')) parts.push(`${count('duplicate')} already there`);
    if (count('rejected')) parts.push(`${count('rejected')} refused`);
    if (count('failed')) parts.push(`${count('failed')} not stored`);
    return `${this.busy ? 'Importing… ' : ''}${parts.join(', ')}.`;
  }

  override render() {
    const snapshots = this.images.filter((i) => i.origin === 'snapshot').length;
    const importing = this.results.some((r) => r.name !== 'snapshots' && r.name !== 'export');
    return html`
      <div class="drop ${this.dragging ? 'dragging' : ''}" data-testid="gallery-drop" @dragover=${this.onDragOver}
        @dragleave=${() => (this.dragging = false)} @drop=${this.onDrop}>
        <p>Drop pictures or a gallery file here, or:</p>
        <button ?disabled=${this.busy} @click=${() => this.pick('images')}>Import images</button>
        <button ?disabled=${this.busy} @click=${() => this.pick('bundle')}>Import gallery file</button>
        <button ?disabled=${this.busy || this.images.length === 0} @click=${() => this.exportGallery()}>Export gallery</button>
        ${snapshots > 0 ? html`<button ?disabled=${this.busy} @click=${() => this.forget()}>Forget visitors' snapshots</button>` : nothing}
        <input class="images" type="file" multiple tabindex="-1" aria-hidden="true"
          accept="image/png,image/jpeg,image/webp,image/gif,.json,application/json" @change=${this.onPicked} />
        <input class="bundle" type="file" tabindex="-1" aria-hidden="true" accept=".json,application/json" @change=${this.onPicked} />
      </div>
      <div class="results" role="status" aria-live="polite" data-testid="gallery-results">${this.results.length > 0
        ? html`${importing ? html`<p>${this.summary()}</p>` : nothing}
            <ul>${this.results.map((r) => html`<li class=${r.status}>${r.message}</li>`)}</ul>`
        : nothing}</div>
      ${this.storeError ? html`<p class="error" role="alert">${this.storeError}</p>` : nothing}
      <p class="note">PNG, JPEG, WebP or GIF, up to ${formatBytes(this.maxBytes)} each. Kept in this browser only.</p>
      <ul class="images" aria-label="Stored pictures">
        ${repeat(
          this.images,
          (img) => img.id,
          (img) => html`<li data-id=${img.id}>
            <img src=${img.url} alt="" />
            <span class="name"><span class="label">${img.name}</span><span class="origin">${img.origin === 'snapshot' ? 'visitor snapshot' : 'imported'} · ${formatBytes(img.size)}</span></span>
            <button aria-label="Remove ${img.name}" ?disabled=${this.busy} @click=${() => this.removeImage(img)}>Remove</button>
          </li>`,
        )}
      </ul>
      ${this.images.length === 0 ? html`<p class="note">No pictures stored yet: the gallery has the bundled ones.</p>` : nothing}
      ${this.usage ? html`<p class="usage">${this.usage}</p>` : nothing}
    `;
  }
}

customElements.define('gallery-panel', GalleryPanel);
