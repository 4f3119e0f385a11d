import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '../core/errors';
import { type GalleryEntry, type SkipHandler, UnreadableImageError, contentId, skipReason, uniqueEntries } from '../core/gallery/gallery';
import { PrecomputedFeatures, type PrecomputedIndex } from '../core/gallery/precomputed';
import { decodeImage } from './image-io';

/** The bundled default gallery: the shared CC0 images (with their licence file) in public/gallery. */
export function bundledGalleryDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public', 'gallery');
}

/**
 * Hidden files and the documents that travel with images (licences, read-me files, the browser's gallery.json
 * listing, the shipped features and universal perturbations uap-MODEL.json) are not gallery images.
 */
const NOT_AN_IMAGE = /^(\.|(licen[cs]es?|readme|copying|notice|authors|attribution)([.-]|$)|gallery\.json$|features\.(json|bin)$|uap-[a-z0-9-]+\.json$)/i;

export type ImageKind = 'png' | 'jpg';

/** A gallery entry backed by a file. */
export interface FileEntry extends GalleryEntry {
  path: string;
  kind: ImageKind;
}

/** The image format by its signature (the file name is not trusted). */
export function sniffImage(bytes: Uint8Array): ImageKind | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  return undefined;
}

function ioMessage(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InvalidInputError(`no such file: ${path}`);
    if (code === 'EISDIR') throw new InvalidInputError(`${path} is a directory, not an image`);
    throw new InvalidInputError(`cannot read ${path}: ${ioMessage(err)}`);
  }
}

/**
 * A gallery entry for an image file: its id is the hash of the file's bytes, read now; decoding reads the file
 * again (nothing is held in memory meanwhile) and refuses if it changed in between, so features can never be
 * filed under the wrong content.
 */
export async function fileEntry(path: string, name = path): Promise<FileEntry> {
  const bytes = await readBytes(path);
  const kind = sniffImage(bytes);
  if (!kind) throw new UnreadableImageError(name, 'not a PNG or JPEG image');
  const id = await contentId(bytes);
  return {
    id,
    name,
    path,
    kind,
    decode: async () => {
      const now = await readBytes(path);
      if ((await contentId(now)) !== id) throw new UnreadableImageError(name, 'changed while it was being read');
      try {
        return decodeImage(now, 'image');
      } catch (err) {
        throw err instanceof InvalidInputError ? new UnreadableImageError(name, err.message) : err;
      }
    },
  };
}

/**
 * The app's gallery as the browser's worker reads it: every picture public/gallery/gallery.json lists (the sample
 * pictures and photos/…), named as listed (paths relative to `dir`), in the listing's order. A listed file that is
 * missing or not an image throws an InvalidInputError naming it (the listing is part of the build).
 */
export async function appGalleryEntries(dir = bundledGalleryDir()): Promise<FileEntry[]> {
  const listing = JSON.parse(await readFile(join(dir, 'gallery.json'), 'utf8')) as { images: string[] };
  return Promise.all(listing.images.map((name) => fileEntry(join(dir, name), name)));
}

/** The shipped features beside gallery.json (features.json + features.bin, src/core/gallery/precomputed.ts). */
export async function readPrecomputed(dir = bundledGalleryDir()): Promise<PrecomputedFeatures> {
  const index = JSON.parse(await readFile(join(dir, 'features.json'), 'utf8')) as PrecomputedIndex;
  return new PrecomputedFeatures(index, new Uint8Array(await readFile(join(dir, 'features.bin'))));
}

async function statDir(dir: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InvalidInputError(`no such directory: ${dir}`);
    throw new InvalidInputError(`cannot read ${dir}: ${ioMessage(err)}`);
  }
  if (!info.isDirectory()) throw new InvalidInputError(`${dir} is not a directory`);
}

/**
 * The images in a folder (not its subfolders), sorted by name. Files that are not PNG or JPEG are reported
 * through `onSkip` and left out, as are repeated contents; licence and read-me files are passed over silently.
 */
export async function readGalleryDir(dir: string, onSkip?: SkipHandler): Promise<FileEntry[]> {
  await statDir(dir);
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => (d.isFile() || d.isSymbolicLink()) && !NOT_AN_IMAGE.test(d.name))
    .map((d) => d.name)
    .sort();
  const entries: FileEntry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      entries.push(await fileEntry(path));
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      onSkip?.({ name: path, reason: skipReason(err) });
    }
  }
  return uniqueEntries(entries, onSkip);
}

/**
 * Entries for a mix of image files and folders (folders are read with readGalleryDir). A path that does not
 * exist is an error; a file that is not an image is skipped like one inside a folder.
 */
export async function collectEntries(paths: readonly string[], onSkip?: SkipHandler): Promise<FileEntry[]> {
  const entries: FileEntry[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => {
      throw new InvalidInputError(`no such file or directory: ${path}`);
    });
    if (info.isDirectory()) {
      entries.push(...(await readGalleryDir(path, onSkip)));
      continue;
    }
    try {
      entries.push(await fileEntry(path));
    } catch (err) {
      if (!(err instanceof UnreadableImageError)) throw err;
      onSkip?.({ name: path, reason: err.reason });
    }
  }
  return uniqueEntries(entries, onSkip);
}

export interface StoredImage {
  id: string;
  /** File name the image was added under. */
  name: string;
  /** The stored copy, relative to the store folder. */
  file: string;
  /** Where it was added from (absolute path). */
  source: string;
  /** ISO date of the addition. */
  added: string;
}

interface StoreIndex {
  version: 1;
  images: StoredImage[];
}

/**
 * The images added to the gallery (`gallery add`), kept as content-addressed copies in CACHE/gallery/images with
 * an index CACHE/gallery/index.json: the gallery survives the originals moving or changing, and clearing the
 * cache folder resets it to the bundled images.
 */
export class GalleryStore {
  readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = resolve(cacheDir, 'gallery');
  }

  private get indexPath(): string {
    return join(this.dir, 'index.json');
  }

  async list(): Promise<StoredImage[]> {
    let text: string;
    try {
      text = await readFile(this.indexPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new InvalidInputError(`cannot read the gallery index ${this.indexPath}: ${ioMessage(err)}`);
    }
    let index: StoreIndex;
    try {
      index = JSON.parse(text) as StoreIndex;
    } catch {
      throw new InvalidInputError(`the gallery index ${this.indexPath} is corrupt (delete it to start afresh)`);
    }
    if (index.version !== 1 || !Array.isArray(index.images)) {
      throw new InvalidInputError(`the gallery index ${this.indexPath} has an unknown format`);
    }
    return index.images;
  }

  private async save(images: StoredImage[]): Promise<void> {
    const tmp = `${this.indexPath}.${process.pid}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(tmp, `${JSON.stringify({ version: 1, images } satisfies StoreIndex, null, 2)}\n`);
      await rename(tmp, this.indexPath);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new InvalidInputError(`cannot write the gallery index ${this.indexPath}: ${ioMessage(err)}`);
    }
  }

  /** Entries for the stored images (named by their stored copies, which the results can point to). */
  async entries(onSkip?: SkipHandler): Promise<FileEntry[]> {
    const entries: FileEntry[] = [];
    for (const image of await this.list()) {
      const path = join(this.dir, image.file);
      try {
        entries.push(await fileEntry(path));
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err;
        onSkip?.({ name: path, reason: `stored copy of ${image.name} is unusable: ${skipReason(err)}` });
      }
    }
    return entries;
  }

  /**
   * Copies the files in (content-addressed, so adding the same picture twice stores it once). `known` ids (e.g.
   * the bundled images) are not stored again. Returns the new records and the ids already present.
   */
  async add(files: readonly FileEntry[], known: ReadonlySet<string> = new Set()): Promise<{ added: StoredImage[]; present: StoredImage[] }> {
    const images = await this.list();
    const byId = new Map(images.map((i) => [i.id, i]));
    const added: StoredImage[] = [];
    const present: StoredImage[] = [];
    await mkdir(join(this.dir, 'images'), { recursive: true });
    for (const f of files) {
      const existing = byId.get(f.id);
      if (existing || known.has(f.id)) {
        present.push(existing ?? { id: f.id, name: basename(f.path), file: '', source: resolve(f.path), added: '' });
        continue;
      }
      const file = join('images', `${f.id}.${f.kind}`);
      // Copy the bytes that were hashed (verified again), so a stored copy always matches its id.
      const bytes = await readBytes(f.path);
      if ((await contentId(bytes)) !== f.id) throw new InvalidInputError(`${f.path} changed while it was being added`);
      const target = join(this.dir, file);
      try {
        await writeFile(`${target}.${process.pid}.tmp`, bytes);
        await rename(`${target}.${process.pid}.tmp`, target);
      } catch (err) {
        await rm(`${target}.${process.pid}.tmp`, { force: true });
        throw new InvalidInputError(`cannot copy ${f.path} into the gallery at ${this.dir}: ${ioMessage(err)}`);
      }
      const record: StoredImage = { id: f.id, name: basename(f.path), file, source: resolve(f.path), added: new Date().toISOString() };
      images.push(record);
      byId.set(f.id, record);
      added.push(record);
    }
    if (added.length > 0) await this.save(images);
    return { added, present };
  }

  /** Removes images by id (or by id prefix, as `gallery list` shows them) or by added file name. */
  async remove(keys: readonly string[]): Promise<StoredImage[]> {
    const images = await this.list();
    const removed: StoredImage[] = [];
    for (const key of keys) {
      const matches = images.filter((i) => !removed.includes(i) && (i.id.startsWith(key) || i.name === key || i.source === resolve(key)));
      if (matches.length === 0) throw new InvalidInputError(`no added gallery image matches '${key}' (see 'gallery list')`);
      if (matches.length > 1 && !matches.every((m) => m.name === key)) {
        throw new InvalidInputError(`'${key}' matches ${matches.length} images; give more of the id`);
      }
      removed.push(...matches);
    }
    await this.save(images.filter((i) => !removed.includes(i)));
    for (const r of removed) await rm(join(this.dir, r.file), { force: true });
    return removed;
  }
}
