#!/usr/bin/env node
// Makes the app's default photo gallery, public/gallery/photos/, from the 183 photos in ../shared/gallery
// (GroceryStoreDataset, Kodak suite, budgie-backgrounds; see ATTRIBUTION.csv): each photo resized with sharp
// (Lanczos 3) so that its SHORT side is 256 px (never enlarged), re-encoded as baseline JPEG quality 80 (mozjpeg
// tables, no metadata), plus ATTRIBUTION.csv and the LICENSE-*.txt files copied verbatim. The output is committed
// (2.9 MB for the 183 photos), so a clone works without ../shared; rerun this only when the source set changes,
// then `npm run gallery:features` (the precomputed features are keyed by the photos' bytes) and commit both.
// Also rewrites public/gallery/gallery.json: the sample pictures in public/gallery/ first, then the photos.
// Usage: node scripts/make-gallery.mjs [SOURCE_DIR]   (default ../shared/gallery; CONVLENS_SHARED_GALLERY too)
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = resolve(process.argv[2] ?? process.env.CONVLENS_SHARED_GALLERY ?? join(root, '..', 'shared', 'gallery'));
const galleryDir = join(root, 'public', 'gallery');
const target = join(galleryDir, 'photos');
/** Short side of a shipped photo, px: the model sees 224×224, so 256 keeps every input pixel it uses. */
const SHORT_SIDE = 256;
const QUALITY = 80;

if (!existsSync(join(source, 'ATTRIBUTION.csv'))) {
  console.error(`make-gallery: ${source} has no ATTRIBUTION.csv (pass the shared gallery folder)`);
  process.exit(1);
}
const photos = readdirSync(source).filter((f) => /\.jpe?g$/i.test(f)).sort();
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
let bytes = 0;
for (const name of photos) {
  const out = await sharp(join(source, name))
    .resize({ width: SHORT_SIDE, height: SHORT_SIDE, fit: 'outside', withoutEnlargement: true, kernel: 'lanczos3' })
    .jpeg({ quality: QUALITY, mozjpeg: true })
    .toBuffer();
  writeFileSync(join(target, name), out);
  bytes += out.length;
}
for (const doc of readdirSync(source).filter((f) => f === 'ATTRIBUTION.csv' || /^LICENSE-.*\.txt$/.test(f))) copyFileSync(join(source, doc), join(target, doc));

const samples = readdirSync(galleryDir, { withFileTypes: true })
  .filter((d) => d.isFile() && /\.(png|jpe?g)$/i.test(d.name))
  .map((d) => d.name)
  .sort();
const listing = JSON.parse(readFileSync(join(galleryDir, 'gallery.json'), 'utf8'));
listing.images = [...samples, ...photos.map((p) => `photos/${p}`)];
writeFileSync(join(galleryDir, 'gallery.json'), `${JSON.stringify(listing, null, 2)}\n`);
console.log(`make-gallery: ${photos.length} photos, ${(bytes / 1e6).toFixed(2)} MB, into ${target}; gallery.json lists ${listing.images.length} pictures`);
