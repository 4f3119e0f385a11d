import { pictureSizeProblem } from '../picture';

/**
 * Checks, from the bytes alone, that a file is a picture the gallery can keep: its type is sniffed from the magic
 * bytes (never from the name or the MIME type a browser guesses from it), its size is under a limit, and its
 * structure is walked far enough to see that it is complete. Byte checks matter because browsers decode a cut-off
 * JPEG or PNG without complaint, filling the missing part with grey. DOM-free: the page, the worker and Node use it.
 */

export const ACCEPTED_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
export type AcceptedImageType = (typeof ACCEPTED_TYPES)[number];

/** Default size limit for one picture: 8 MiB, far above a photo a visitor would pick, well under a kiosk's quota. */
export const DEFAULT_MAX_IMAGE_BYTES = 8 * 1024 * 1024;

export interface ImageCheckOptions {
  /** Largest accepted file in bytes (default DEFAULT_MAX_IMAGE_BYTES). */
  maxBytes?: number;
}

/** A verdict on one file: its sniffed type, or a one-line reason that does not name the file. */
export type ImageCheck = { ok: true; type: AcceptedImageType } | { ok: false; reason: string };

const TYPE_NAMES: Record<AcceptedImageType, string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP', 'image/gif': 'GIF' };
const ACCEPTED_LIST = 'PNG, JPEG, WebP or GIF';

/** "8 MB", "912 KB", "17 bytes" (binary units, as the limit is set). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const [value, unit] = n < 1024 * 1024 ? [n / 1024, 'KB'] : [n / (1024 * 1024), 'MB'];
  const digits = value < 10 && !Number.isInteger(value) ? 1 : 0;
  return `${value.toFixed(digits)} ${unit}`;
}

const ascii = (bytes: Uint8Array, at: number, length: number): string => String.fromCharCode(...bytes.subarray(at, at + length));
const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean => prefix.every((b, i) => bytes[at + i] === b);
const u16be = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u32be = (b: Uint8Array, at: number): number => ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
const u32le = (b: Uint8Array, at: number): number => b[at]! + (b[at + 1]! << 8) + (b[at + 2]! << 16) + ((b[at + 3]! << 24) >>> 0);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The accepted type the magic bytes announce, or undefined. */
export function sniffImageType(bytes: Uint8Array): AcceptedImageType | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'image/webp';
  return undefined;
}

/** Why a file that is not an accepted picture is refused: named when it is a known other format. */
function unacceptedReason(bytes: Uint8Array): string {
  const head = ascii(bytes, 0, 4);
  if (head === 'II*\0' || head === 'MM\0*') return `unsupported image type TIFF (accepted: ${ACCEPTED_LIST})`;
  if (head.startsWith('BM') && bytes.length >= 18 && [12, 40, 52, 56, 64, 108, 124].includes(u32le(bytes, 14))) {
    return `unsupported image type BMP (accepted: ${ACCEPTED_LIST})`;
  }
  if (startsWith(bytes, [0, 0, 1, 0])) return `unsupported image type ICO (accepted: ${ACCEPTED_LIST})`;
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (brand === 'avif' || brand === 'avis') return `unsupported image type AVIF (accepted: ${ACCEPTED_LIST})`;
    if (['heic', 'heix', 'hevc', 'mif1', 'msf1'].includes(brand)) return `unsupported image type HEIC (accepted: ${ACCEPTED_LIST})`;
    return 'not an image (a video or other media file)';
  }
  if (head === '%PDF') return 'not an image (a PDF document)';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'not an image (a ZIP archive)';
  if (looksLikeText(bytes)) {
    return /<svg[\s>]/i.test(ascii(bytes, 0, 1024)) ? `not accepted: SVG drawings are not pixel images (accepted: ${ACCEPTED_LIST})` : 'not an image (it is text)';
  }
  return `unknown type (not a ${ACCEPTED_LIST} image)`;
}

/** No NUL and almost only printable characters in the first 512 bytes (UTF-8 multibyte sequences count as printable). */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 512);
  let control = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  return control <= head.length / 50;
}

/** Walks the PNG chunks: IHDR first, at least one IDAT, and every chunk whole up to IEND. */
function checkPng(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  if (n < 16) return 'truncated: the PNG ends inside its header';
  if (ascii(bytes, 12, 4) !== 'IHDR') return 'damaged: the PNG does not start with its IHDR header';
  let p = 8;
  let idat = false;
  while (p + 8 <= n) {
    const length = u32be(bytes, p);
    const type = ascii(bytes, p + 4, 4);
    if (!/^[A-Za-z]{4}$/.test(type)) return `damaged: no valid PNG chunk at byte ${p}`;
    const end = p + 12 + length;
    if (end > n) return `truncated: the PNG ends inside its ${type} chunk (no IEND)`;
    if (type === 'IDAT') idat = true;
    if (type === 'IEND') return idat ? undefined : 'damaged: the PNG has no image data (IDAT)';
    p = end;
  }
  return 'truncated: the PNG ends before its IEND chunk';
}

/**
 * Walks the JPEG segments by their lengths and the entropy-coded data after each SOS (stuffed FF00 and restart
 * markers skipped) to the end-of-image marker FFD9. Thumbnails inside APP segments are skipped whole, so their
 * own FFD9 cannot end the walk early; data after the end marker is allowed (some cameras pad files).
 */
function checkJpeg(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  const truncated = 'truncated: the JPEG ends before its end marker (FFD9)';
  let p = 2;
  let scans = 0;
  for (;;) {
    if (p >= n) return truncated;
    if (bytes[p] !== 0xff) return `damaged: no JPEG marker at byte ${p}`;
    while (p < n && bytes[p] === 0xff) p++;
    if (p >= n) return truncated;
    const marker = bytes[p++]!;
    if (marker === 0xd9) return scans > 0 ? undefined : 'damaged: the JPEG has no image data (no scan before its end marker)';
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (p + 2 > n) return truncated;
    const length = u16be(bytes, p);
    if (length < 2) return `damaged: bad JPEG segment length at byte ${p}`;
    if (p + length > n) return truncated;
    p += length;
    if (marker !== 0xda) continue;
    scans++;
    // Entropy-coded data runs to the next marker that is neither a stuffed 00 nor a restart marker.
    for (;;) {
      if (p + 1 >= n) return truncated;
      if (bytes[p] !== 0xff) {
        p++;
        continue;
      }
      const next = bytes[p + 1]!;
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) p += 2;
      else if (next === 0xff) p++;
      else break;
    }
  }
}

/** Walks the GIF blocks (extensions, image descriptors with their sub-blocks) to the trailer byte 3B. */
function checkGif(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  const truncated = 'truncated: the GIF ends before its trailer (3B)';
  if (n < 13) return truncated;
  const tableSize = (packed: number): number => (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  let p = 13 + tableSize(bytes[10]!);
  let images = 0;
  const skipSubBlocks = (): boolean => {
    for (;;) {
      if (p >= n) return false;
      const size = bytes[p++]!;
      if (size === 0) return true;
      p += size;
    }
  };
  for (;;) {
    if (p >= n) return truncated;
    const block = bytes[p]!;
    if (block === 0x3b) return images > 0 ? undefined : 'damaged: the GIF has no image';
    if (block === 0x21) {
      p += 2;
      if (!skipSubBlocks()) return truncated;
    } else if (block === 0x2c) {
      if (p + 10 > n) return truncated;
      p += 10 + tableSize(bytes[p + 9]!) + 1;
      if (!skipSubBlocks()) return truncated;
      images++;
    } else {
      return `damaged: unexpected GIF block at byte ${p}`;
    }
  }
}

/** The RIFF container's length must be all there, and its first chunk must be a WebP bitstream or header. */
function checkWebp(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  if (n < 20) return 'truncated: the WebP file ends inside its header';
  const declared = 8 + u32le(bytes, 4);
  if (declared > n) return `truncated: the WebP file has ${n} of the ${declared} bytes its RIFF header announces`;
  const first = ascii(bytes, 12, 4);
  if (first !== 'VP8 ' && first !== 'VP8L' && first !== 'VP8X') return 'damaged: the WebP file has no VP8/VP8L/VP8X chunk';
  if (20 + u32le(bytes, 16) > declared) return `truncated: the WebP ${first.trim()} chunk runs past the end of the file`;
  return undefined;
}

const STRUCTURE: Record<AcceptedImageType, (bytes: Uint8Array) => string | undefined> = {
  'image/png': checkPng,
  'image/jpeg': checkJpeg,
  'image/gif': checkGif,
  'image/webp': checkWebp,
};

/** Size only: a reason when `size` bytes is empty or over the limit (checkable before a file is read). */
export function sizeProblem(size: number, options: ImageCheckOptions = {}): string | undefined {
  const max = options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  if (size === 0) return 'empty file';
  if (size > max) return `too large: ${formatBytes(size)} (the limit is ${formatBytes(max)})`;
  return undefined;
}

/**
 * Size, type, completeness and pixel count of one file's bytes. The pixel count is read from the header (the one
 * rule of src/core/picture.ts, MAX_PICTURE_PIXELS): a picture too large to decode is refused before it is stored.
 */
export function checkImageBytes(bytes: Uint8Array, options: ImageCheckOptions = {}): ImageCheck {
  const size = sizeProblem(bytes.length, options);
  if (size) return { ok: false, reason: size };
  const type = sniffImageType(bytes);
  if (!type) return { ok: false, reason: unacceptedReason(bytes) };
  const damage = STRUCTURE[type](bytes);
  if (damage) return { ok: false, reason: damage };
  const pixels = pictureSizeProblem(bytes);
  return pixels ? { ok: false, reason: pixels } : { ok: true, type };
}

/** "NAME: REASON", the one line shown for a refused file. */
export function rejectionMessage(name: string, reason: string): string {
  return `${name}: ${reason}`;
}

export function typeName(type: AcceptedImageType): string {
  return TYPE_NAMES[type];
}

export function isAcceptedType(type: string): type is AcceptedImageType {
  return (ACCEPTED_TYPES as readonly string[]).includes(type);
}
