import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, BundleError, type BundleImage, decodeBundle, encodeBundle, fromBase64, looksLikeBundle, toBase64 } from '../src/core/gallery/bundle';
import { ROOT } from './helpers';

const bundled = (name: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'public', 'gallery', name)));
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'tests', 'fixtures', 'gallery', name)));

const images: BundleImage[] = [
  { name: 'rocket.jpg', type: 'image/jpeg', origin: 'import', added: Date.UTC(2025, 0, 2, 3, 4, 5), bytes: bundled('rocket.jpg') },
  { name: 'snapshot 1', type: 'image/png', origin: 'snapshot', added: Date.UTC(2025, 0, 3), bytes: bundled('clock_motion.png') },
  { name: 'cat.webp', type: 'image/webp', origin: 'import', added: Date.UTC(2025, 0, 4), bytes: fixture('chelsea-64.webp') },
];

describe('gallery file (bundle)', () => {
  it('base64 round-trips every length and agrees with Node', () => {
    const bytes = bundled('coffee.png').subarray(0, 1000);
    for (let n = 0; n <= 12; n++) {
      const part = bytes.subarray(0, n);
      expect(toBase64(part)).toBe(Buffer.from(part).toString('base64'));
      expect(fromBase64(toBase64(part))).toEqual(part);
    }
    expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    for (const bad of ['abc', 'ab=c', 'a===', 'ab c', 'é123', 'ab-_']) expect(fromBase64(bad), bad).toBeUndefined();
  });

  it('round-trips pictures with names, types, origins and dates, byte for byte', () => {
    const text = encodeBundle(images, new Date(Date.UTC(2025, 5, 1)));
    const doc = JSON.parse(text) as { format: string; version: number; exported: string; images: { added: string }[] };
    expect(doc).toMatchObject({ format: BUNDLE_FORMAT, version: 1, exported: '2025-06-01T00:00:00.000Z' });
    expect(doc.images[0]!.added).toBe('2025-01-02T03:04:05.000Z');
    expect(looksLikeBundle(new TextEncoder().encode(text))).toBe(true);
    expect(looksLikeBundle(bundled('rocket.jpg'))).toBe(false);

    const back = decodeBundle('mine.json', new TextEncoder().encode(text));
    expect(back.rejected).toEqual([]);
    expect(back.images).toEqual(images);
  });

  it('a file that is not a readable gallery file is refused as a whole, with its name', () => {
    const text = encodeBundle(images);
    const error = (content: string): string => {
      try {
        decodeBundle('lecture.json', content);
      } catch (err) {
        expect(err).toBeInstanceOf(BundleError);
        return (err as Error).message;
      }
      throw new Error('decoded');
    };
    expect(error(text.slice(0, text.length / 2))).toBe('lecture.json: not a readable ConvLens gallery file (the JSON is damaged or cut off)');
    expect(error('{"format":"something-else","images":[]}')).toBe('lecture.json: not a ConvLens gallery file (no "format": "convlens-gallery")');
    expect(error('[1,2,3]')).toMatch(/^lecture\.json: not a ConvLens gallery file/);
    expect(error(`{"format":"${BUNDLE_FORMAT}","version":2,"images":[]}`)).toBe('lecture.json: made by a newer ConvLens (gallery file version 2; this one reads version 1)');
    expect(error(`{"format":"${BUNDLE_FORMAT}","images":[]}`)).toBe('lecture.json: damaged gallery file (no valid version number)');
    expect(error(`{"format":"${BUNDLE_FORMAT}","version":1,"images":{}}`)).toBe('lecture.json: damaged gallery file ("images" is not a list)');
  });

  it('bad entries are refused one by one while the good ones come through', () => {
    const doc = JSON.parse(encodeBundle(images)) as { images: Record<string, unknown>[] };
    const jpeg = bundled('rocket.jpg');
    doc.images.push(
      { name: 'half.jpg', type: 'image/jpeg', data: toBase64(jpeg.subarray(0, jpeg.length >> 1)) },
      { name: 'notes.png', type: 'image/png', data: toBase64(new TextEncoder().encode('just some text')) },
      { name: 'broken', data: 'not base64!' },
      { name: 'empty-entry' },
      { name: 'old.bmp', data: toBase64(fixture('chelsea-16.bmp')) },
      { name: 'big.png', data: toBase64(bundled('astronaut.png')) },
      // Lies about its type: the bytes decide (a GIF), and an unknown origin counts as an import.
      { name: 'tiny\nline.gif', type: 'image/png', origin: 'elsewhere', added: 'not a date', data: toBase64(fixture('chelsea-64.gif')) },
    );
    const out = decodeBundle('mixed.json', JSON.stringify(doc), { maxBytes: 700 * 1024 });
    expect(out.images.map((i) => i.name)).toEqual(['rocket.jpg', 'snapshot 1', 'cat.webp', 'tiny line.gif']);
    const gif = out.images[3]!;
    expect(gif.type).toBe('image/gif');
    expect(gif.origin).toBe('import');
    expect(Math.abs(gif.added - Date.now())).toBeLessThan(60_000);
    expect(out.rejected).toEqual([
      { name: 'half.jpg', reason: 'truncated: the JPEG ends before its end marker (FFD9)' },
      { name: 'notes.png', reason: 'not an image (it is text)' },
      { name: 'broken', reason: 'damaged picture data in the gallery file (not valid base64)' },
      { name: 'empty-entry', reason: 'no picture data in the gallery file' },
      { name: 'old.bmp', reason: 'unsupported image type BMP (accepted: PNG, JPEG, WebP or GIF)' },
      { name: 'big.png', reason: 'too large: 773 KB (the limit is 700 KB)' },
    ]);
  });
});
