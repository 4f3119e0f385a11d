import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_IMAGE_BYTES, checkImageBytes, formatBytes, sizeProblem, sniffImageType } from '../src/core/gallery/validate';
import { ROOT } from './helpers';

const bundled = (name: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'public', 'gallery', name)));
/** Small pictures made from chelsea.png by ffmpeg (see tests/fixtures/gallery/README.md). */
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'tests', 'fixtures', 'gallery', name)));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const reasonOf = (bytes: Uint8Array, maxBytes?: number): string => {
  const check = checkImageBytes(bytes, maxBytes === undefined ? {} : { maxBytes });
  if (check.ok) throw new Error(`accepted as ${check.type}`);
  return check.reason;
};

/** A PNG with one more chunk before IEND: same picture, different bytes (and a valid CRC). */
function withTextChunk(png: Uint8Array, note: string): Uint8Array {
  const data = text(`Comment\0${note}`);
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(text('tEXt'), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const iend = png.length - 12;
  return new Uint8Array([...png.subarray(0, iend), ...chunk, ...png.subarray(iend)]);
}

describe('gallery file checks', () => {
  it('accepts every bundled picture and the WebP/GIF fixtures, typed from their bytes', () => {
    const names = (JSON.parse(readFileSync(join(ROOT, 'public', 'gallery', 'gallery.json'), 'utf8')) as { images: string[] }).images;
    expect(names).toHaveLength(190); // 7 sample pictures + the 183 photos in photos/
    for (const name of names) expect(checkImageBytes(bundled(name)), name).toEqual({ ok: true, type: name.endsWith('.jpg') ? 'image/jpeg' : 'image/png' });
    expect(checkImageBytes(fixture('chelsea-64.webp'))).toEqual({ ok: true, type: 'image/webp' });
    expect(checkImageBytes(fixture('chelsea-64.gif'))).toEqual({ ok: true, type: 'image/gif' });
    expect(checkImageBytes(withTextChunk(bundled('camera.png'), 'copy'))).toEqual({ ok: true, type: 'image/png' });
    // A JPEG padded after its end marker (some cameras do this) is still complete.
    expect(checkImageBytes(new Uint8Array([...bundled('rocket.jpg'), 0, 0, 0, 0]))).toEqual({ ok: true, type: 'image/jpeg' });
  });

  it('refuses truncated files of each type, at any cut', () => {
    const cases: [Uint8Array, RegExp][] = [
      [bundled('rocket.jpg'), /^truncated: the JPEG ends before its end marker \(FFD9\)$/],
      [bundled('camera.png'), /^truncated: the PNG ends (inside its \w+ chunk \(no IEND\)|before its IEND chunk)$/],
      [fixture('chelsea-64.gif'), /^truncated: the GIF ends before its trailer \(3B\)$/],
      [fixture('chelsea-64.webp'), /^truncated: the WebP file (has \d+ of the \d+ bytes its RIFF header announces|ends inside its header)$/],
    ];
    for (const [bytes, reason] of cases) {
      for (const keep of [0.999, 0.9, 0.5, 0.1]) {
        const cut = bytes.subarray(0, Math.max(24, Math.floor(bytes.length * keep)));
        expect(reasonOf(cut), `${sniffImageType(bytes)} cut to ${cut.length} of ${bytes.length}`).toMatch(reason);
      }
    }
    // Cut exactly before the last two bytes: a JPEG that lacks only its end marker.
    expect(reasonOf(bundled('rocket.jpg').subarray(0, -2))).toMatch(/^truncated: the JPEG/);
    // Cut right after IEND's type: the CRC is missing.
    expect(reasonOf(bundled('coffee.png').subarray(0, -4))).toBe('truncated: the PNG ends inside its IEND chunk (no IEND)');
  });

  it('names other picture formats, text, documents and unknown bytes', () => {
    expect(reasonOf(fixture('chelsea-16.bmp'))).toBe('unsupported image type BMP (accepted: PNG, JPEG, WebP or GIF)');
    expect(reasonOf(fixture('chelsea-16.tiff'))).toBe('unsupported image type TIFF (accepted: PNG, JPEG, WebP or GIF)');
    expect(reasonOf(text('These are my holiday notes, not a picture.\n'))).toBe('not an image (it is text)');
    expect(reasonOf(text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toMatch(/^not accepted: SVG drawings/);
    expect(reasonOf(text('%PDF-1.7\n%\u00e2\u00e3\n'))).toBe('not an image (a PDF document)');
    expect(reasonOf(new Uint8Array([0, 0, 0, 0x20, ...text('ftypisom'), 0, 0, 2, 0]))).toBe('not an image (a video or other media file)');
    expect(reasonOf(new Uint8Array([0, 0, 0, 0x1c, ...text('ftypavif'), 0, 0, 0, 0]))).toMatch(/^unsupported image type AVIF/);
    expect(reasonOf(new Uint8Array([0x00, 0x01, 0x02, 0x03, 0xfe, 0x00, 0x10, 0x80]))).toBe('unknown type (not a PNG, JPEG, WebP or GIF image)');
    // The name says PNG, the bytes say text: only the bytes count.
    expect(sniffImageType(text('\x89PNG but actually typed by hand'))).toBeUndefined();
  });

  it('refuses empty and oversized files, with the limit configurable', () => {
    expect(reasonOf(new Uint8Array(0))).toBe('empty file');
    const coffee = bundled('coffee.png');
    expect(checkImageBytes(coffee, { maxBytes: coffee.length }).ok).toBe(true);
    expect(reasonOf(coffee, coffee.length - 1)).toBe(`too large: ${formatBytes(coffee.length)} (the limit is ${formatBytes(coffee.length - 1)})`);
    expect(reasonOf(coffee, 100 * 1024)).toBe('too large: 456 KB (the limit is 100 KB)');
    expect(sizeProblem(DEFAULT_MAX_IMAGE_BYTES)).toBeUndefined();
    expect(sizeProblem(DEFAULT_MAX_IMAGE_BYTES + 1)).toBe('too large: 8.0 MB (the limit is 8 MB)');
    expect(formatBytes(17)).toBe('17 bytes');
    expect(formatBytes(9.5 * 1024 * 1024)).toBe('9.5 MB');
  });

  it('refuses damaged structure: a PNG without IHDR, a JPEG whose segment lengths are wrong', () => {
    const png = bundled('clock_motion.png').slice();
    png.set(text('XXXX'), 12);
    expect(reasonOf(png)).toBe('damaged: the PNG does not start with its IHDR header');
    const jpeg = bundled('rocket.jpg').slice();
    // The APP0 segment (FFE0 at byte 2) claims 2 bytes, so the walk lands on its "JFIF" text instead of a marker.
    jpeg.set([0x00, 0x02], 4);
    expect(reasonOf(jpeg)).toBe('damaged: no JPEG marker at byte 6');
  });
});
