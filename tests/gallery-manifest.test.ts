import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

describe('bundled gallery listing for the browser', () => {
  it('gallery.json lists exactly the images in public/gallery, and the licence file is there', () => {
    const dir = join(ROOT, 'public', 'gallery');
    const files = readdirSync(dir);
    const images = files.filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
    const listed = (JSON.parse(readFileSync(join(dir, 'gallery.json'), 'utf8')) as { images: string[] }).images;
    expect(listed).toEqual(images);
    expect(images.length).toBeGreaterThanOrEqual(7);
    expect(files).toContain('LICENSES.md');
  });
});
