import { InvalidInputError } from '../errors';
import type { RgbaImage } from '../preprocess';

/**
 * A gallery is a list of images known by a content hash. The bytes behind an entry may be an encoded file (CLI,
 * an upload) or raw pixels (a webcam frame): whatever they are, equal bytes give equal ids and any change gives a
 * new id, so features cached under an id can never be stale for that image.
 */
export interface GalleryEntry {
  /** Content hash (see `contentId`). */
  id: string;
  /** What to call the image in results: a file path, or a label the visitor gave. */
  name: string;
  /** Decodes the picture; throws a ConvLensError for broken data. Called lazily: cache hits never decode. */
  decode(): RgbaImage | Promise<RgbaImage>;
  /** A live camera frame: its features are computed but never written to (or read from) any cache. */
  transient?: boolean;
}

/** An image left out of a run, with the one-line reason. */
export interface SkippedImage {
  name: string;
  reason: string;
}

/**
 * An image that cannot be used. `reason` says why without naming the image, for "skipped NAME: REASON" lines;
 * the message names it, for when the image was the one thing asked for.
 */
export class UnreadableImageError extends InvalidInputError {
  constructor(
    name: string,
    readonly reason: string,
  ) {
    super(`${name}: ${reason}`);
  }
}

/** The reason to report for a skipped image. */
export function skipReason(err: unknown): string {
  if (err instanceof UnreadableImageError) return err.reason;
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** Called once per skipped image; the run goes on. */
export type SkipHandler = (skipped: SkippedImage) => void;

/** Hex digits kept from the SHA-256: 80 bits, far beyond any gallery's birthday bound, and short in file names. */
const ID_HEX_LENGTH = 20;

/** Lower-case hexadecimal of `bytes`, two digits per byte (image content ids, model fingerprints). */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** SHA-256 via Web Crypto, which both Node (≥ 19) and browsers/workers provide. */
export async function sha256(parts: readonly Uint8Array[]): Promise<Uint8Array> {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.byteLength;
  }
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', joined));
}

/** Content id of an image's bytes (encoded file or raw pixels). */
export async function contentId(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256([bytes])).slice(0, ID_HEX_LENGTH);
}

/** Content id of decoded pixels (for images that never were a file, e.g. camera frames). */
export async function pixelContentId(image: RgbaImage): Promise<string> {
  const header = new Uint8Array(new Uint32Array([image.width, image.height]).buffer);
  const data = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return toHex(await sha256([header, data])).slice(0, ID_HEX_LENGTH);
}

/** An entry for an already decoded picture. */
export async function entryFromImage(name: string, image: RgbaImage): Promise<GalleryEntry> {
  return { id: await pixelContentId(image), name, decode: () => image };
}

/**
 * At most `max` items picked evenly through `items`, the first and the last included (indices round(i·(n−1)/(max−1)));
 * all of them, in order, when there are no more than `max`. `max` ≥ 0 (1 gives the first).
 */
export function evenlySpaced<T>(items: readonly T[], max: number): T[] {
  if (!Number.isInteger(max) || max < 0) throw new InvalidInputError(`max must be a non-negative integer, got ${max}`);
  if (items.length <= max) return [...items];
  if (max === 0) return [];
  if (max === 1) return [items[0]!];
  return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))]!);
}

/** Folder of the default gallery's photo set (public/gallery/photos/): the names of its entries start with it. */
export const PHOTO_SET_PREFIX = 'photos/';

/**
 * The pictures a gallery job that cannot afford all of them (the universal perturbation) trains on, at most `max`:
 * the gallery's own pictures — the sample pictures and those stored in this browser (imports, visitors' snapshots:
 * what the camera shows here) — first, then photos of the photo set (names under PHOTO_SET_PREFIX) picked evenly to
 * fill up to `max`. With more than `max` pictures of the first kind, `max` of them picked evenly.
 */
export function trainingPictures<T extends GalleryEntry>(entries: readonly T[], max: number): T[] {
  const own = entries.filter((e) => !e.name.startsWith(PHOTO_SET_PREFIX));
  if (own.length >= max) return evenlySpaced(own, max);
  return [...own, ...evenlySpaced(entries.filter((e) => e.name.startsWith(PHOTO_SET_PREFIX)), max - own.length)];
}

/**
 * The stratum of a gallery picture for a held-out split (optimize/uap-sgd.ts heldOutSplit): 'sample' for pictures
 * outside the photo set, the product class for a grocery photo (`photos/grocery-granny-smith-2.jpg` →
 * 'grocery-granny-smith'), else the photo's source (`photos/kodak-hats-03.jpg` → 'kodak').
 */
export function galleryStratum(name: string): string {
  if (!name.startsWith(PHOTO_SET_PREFIX)) return 'sample';
  const base = name.slice(PHOTO_SET_PREFIX.length).replace(/\.[^.]*$/, '');
  if (base.startsWith('grocery-')) return base.replace(/-\d+$/, '');
  return base.split('-')[0]!;
}

/**
 * Drops entries whose content repeats an earlier one (reported through `onSkip`): a duplicate would only be its
 * own nearest neighbour at distance 0 and a second copy of the same patches.
 */
export function uniqueEntries<T extends GalleryEntry>(entries: readonly T[], onSkip?: SkipHandler): T[] {
  const seen = new Map<string, string>();
  const out: T[] = [];
  for (const entry of entries) {
    const first = seen.get(entry.id);
    if (first !== undefined) {
      onSkip?.({ name: entry.name, reason: `same content as ${first}` });
      continue;
    }
    seen.set(entry.id, entry.name);
    out.push(entry);
  }
  return out;
}
