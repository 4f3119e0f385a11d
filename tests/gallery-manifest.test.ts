import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAttribution } from '../src/core/gallery/attribution';
import { ROOT } from './helpers';

describe('bundled gallery listing for the browser', () => {
  it('gallery.json lists exactly the images in public/gallery and public/gallery/photos, and the licence files are there', () => {
    const dir = join(ROOT, 'public', 'gallery');
    const files = readdirSync(dir);
    const photoFiles = readdirSync(join(dir, 'photos'));
    const images = files.filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
    const photos = photoFiles.filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
    const listed = (JSON.parse(readFileSync(join(dir, 'gallery.json'), 'utf8')) as { images: string[] }).images;
    expect(listed).toEqual([...images, ...photos.map((p) => `photos/${p}`)]);
    expect(images).toHaveLength(7);
    expect(photos).toHaveLength(183);
    expect(files).toContain('LICENSES.md');
    expect(photoFiles).toEqual(expect.arrayContaining(['ATTRIBUTION.csv', 'LICENSE-GroceryStoreDataset.txt', 'LICENSE-kodak.txt', 'LICENSE-budgie-backgrounds.txt']));
  });

  it('every photo has its row in ATTRIBUTION.csv with a licence and a credit', () => {
    const dir = join(ROOT, 'public', 'gallery', 'photos');
    const rows = parseAttribution(readFileSync(join(dir, 'ATTRIBUTION.csv'), 'utf8'));
    const photos = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
    expect(rows.map((r) => r.file).sort()).toEqual(photos);
    for (const row of rows) {
      expect(row.licence, row.file).toMatch(/^(MIT|CC0-1\.0|.*Kodak.*|.*public domain.*)/i);
      expect(row.credit.length, row.file).toBeGreaterThan(3);
    }
  });
});
