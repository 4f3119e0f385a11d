import { InvalidInputError } from '../errors';
import type { SkippedImage } from './gallery';
import { type AcceptedImageType, type ImageCheckOptions, checkImageBytes } from './validate';

/**
 * The gallery as one file, for moving a kiosk's pictures to another machine or keeping a lecture's set:
 *
 *     { "format": "convlens-gallery", "version": 1, "exported": "2025-…Z",
 *       "images": [ { "name": "cat.jpg", "type": "image/jpeg", "origin": "import", "added": "2025-…Z",
 *                     "data": "<base64 of the file's bytes>" }, … ] }
 *
 * Plain JSON, so it survives any transfer and can be inspected. On import nothing in it is trusted: every entry's
 * bytes are checked like a picked file (type sniffed from the bytes, size limit, completeness), ids are recomputed
 * from the bytes, and a bad entry is refused on its own while the others import.
 */

export const BUNDLE_FORMAT = 'convlens-gallery';
/**
 * Version written into every exported bundle; import refuses a file whose version is higher (BundleError: made by a
 * newer ConvLens).
 */
export const BUNDLE_VERSION = 1;
/** The suggested file name ending. */
export const BUNDLE_EXTENSION = '.convlens-gallery.json';

/**
 * Where a gallery picture came from: 'import' (a file picked or imported) or 'snapshot' (a visitor's frozen camera
 * frame, which the kiosk can forget in one go). A bundle entry with anything else imports as 'import'.
 */
export type GalleryOrigin = 'import' | 'snapshot';

/** One picture as the bundle carries it (and as the store keeps it, less the id). */
export interface BundleImage {
  /** File name shown in the gallery (from the picked file or the bundle entry). */
  name: string;
  /** MIME type sniffed from the bytes (never taken from the bundle's word for it). */
  type: AcceptedImageType;
  origin: GalleryOrigin;
  /** When it entered the gallery, ms since the epoch. */
  added: number;
  /** The picture file's bytes, as picked (JPEG, PNG, WebP or GIF), unchanged. */
  bytes: Uint8Array;
}

/** A gallery file that cannot be read at all (not JSON, another format, a newer version). */
export class BundleError extends InvalidInputError {}

/** What decoding a bundle yields: the entries that passed the checks, and those refused with why. */
export interface DecodedBundle {
  /** Entries whose bytes passed checkImageBytes, in file order. */
  images: BundleImage[];
  /** Entries refused one by one, each with a one-line reason. */
  rejected: SkippedImage[];
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));
const B64_VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUES[B64.charCodeAt(i)] = i;

/**
 * Standard base64 (RFC 4648 §4, alphabet A–Z a–z 0–9 + /, '=' padding) of `bytes`, as a bundle's `data` field; the
 * inverse of fromBase64. Linear time, no size limit of its own.
 */
export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = B64_CODES[n >> 18]!;
    out[o++] = B64_CODES[(n >> 12) & 63]!;
    out[o++] = B64_CODES[(n >> 6) & 63]!;
    out[o++] = B64_CODES[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = B64_CODES[n >> 18]!;
    out[o++] = B64_CODES[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? B64_CODES[(n >> 6) & 63]! : 61;
    out[o] = 61;
  }
  return new TextDecoder().decode(out);
}

/** Strict standard base64 (padding required); undefined for anything else. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = text.charCodeAt(i + k);
      const last = i + 4 === text.length;
      if (c === 61 && last && k >= 4 - pad) {
        n <<= 6;
        continue;
      }
      const v = c < 128 ? B64_VALUES[c]! : -1;
      if (v < 0) return undefined;
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** The bundle's text for these pictures (in the given order). */
export function encodeBundle(images: readonly BundleImage[], exported = new Date()): string {
  return JSON.stringify({
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exported: exported.toISOString(),
    images: images.map((img) => ({ name: img.name, type: img.type, origin: img.origin, added: new Date(img.added).toISOString(), data: toBase64(img.bytes) })),
  });
}

/** True when the bytes look like a gallery file rather than a picture (JSON object text). */
export function looksLikeBundle(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x7b;
}

/** A name safe to show on one line. */
function cleanName(name: unknown, index: number): string {
  const text = typeof name === 'string' ? Array.from(name, (c) => (c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127 ? ' ' : c)).join('').trim().slice(0, 200) : '';
  return text || `picture ${index + 1}`;
}

function parseAdded(added: unknown): number | undefined {
  const t = typeof added === 'number' ? added : typeof added === 'string' ? Date.parse(added) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Reads a gallery file. Throws BundleError (naming `fileName`) when the file as a whole is unreadable; otherwise
 * returns the good pictures and, one by one, the refused entries.
 */
export function decodeBundle(fileName: string, content: string | Uint8Array, options: ImageCheckOptions = {}): DecodedBundle {
  const text = typeof content === 'string' ? content : new TextDecoder().decode(content);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new BundleError(`${fileName}: not a readable ConvLens gallery file (the JSON is damaged or cut off)`);
  }
  if (typeof doc !== 'object' || doc === null || (doc as { format?: unknown }).format !== BUNDLE_FORMAT) {
    throw new BundleError(`${fileName}: not a ConvLens gallery file (no "format": "${BUNDLE_FORMAT}")`);
  }
  const { version, images } = doc as { version?: unknown; images?: unknown };
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new BundleError(`${fileName}: damaged gallery file (no valid version number)`);
  if (version > BUNDLE_VERSION) {
    throw new BundleError(`${fileName}: made by a newer ConvLens (gallery file version ${version}; this one reads version ${BUNDLE_VERSION})`);
  }
  if (!Array.isArray(images)) throw new BundleError(`${fileName}: damaged gallery file ("images" is not a list)`);

  const out: DecodedBundle = { images: [], rejected: [] };
  for (const [index, entry] of images.entries()) {
    const record = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    const name = cleanName(record['name'], index);
    const reject = (reason: string): void => void out.rejected.push({ name, reason });
    if (typeof record['data'] !== 'string') {
      reject('no picture data in the gallery file');
      continue;
    }
    const bytes = fromBase64(record['data']);
    if (!bytes) {
      reject('damaged picture data in the gallery file (not valid base64)');
      continue;
    }
    const check = checkImageBytes(bytes, options);
    if (!check.ok) {
      reject(check.reason);
      continue;
    }
    const origin: GalleryOrigin = record['origin'] === 'snapshot' ? 'snapshot' : 'import';
    out.images.push({ name, type: check.type, origin, added: parseAdded(record['added']) ?? Date.now(), bytes });
  }
  return out;
}
