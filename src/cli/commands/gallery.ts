import { basename, join } from 'node:path';
import { InvalidInputError } from '../../core/errors';
import type { ExtractStats } from '../../core/gallery/features';
import { GalleryStore, type StoredImage, bundledGalleryDir, collectEntries, readGalleryDir } from '../../node/gallery-files';
import { type CliCommand, type CliContext, UsageError } from '../command';
import { CACHE_OPTION, type SkippedJson, cacheDir, diskExtractor, progress, skipReporter, skippedJson } from '../shared/gallery';

type ImageRef = Pick<StoredImage, 'id' | 'name'>;

/** `gallery list`: every image, bundled or added (the store's StoredImage id and name, and where its file is). */
export interface ListResult {
  cache: string;
  images: (ImageRef & { file: string; source: 'bundled' | 'added' })[];
}

/** `gallery add`: the store's new and already-present records, the skipped files and the feature cache's counts. */
export interface AddResult {
  cache: string;
  added: (ImageRef & { file: StoredImage['source'] })[];
  present: ImageRef[];
  skipped: SkippedJson[];
  features: Pick<ExtractStats, 'computed' | 'cached'>;
}

/** `gallery remove`: the records removed. */
export interface RemoveResult {
  cache: string;
  removed: ImageRef[];
}

async function list(ctx: CliContext): Promise<ListResult> {
  const cache = cacheDir(ctx);
  const store = new GalleryStore(cache);
  const { onSkip } = skipReporter();
  const bundled = await readGalleryDir(bundledGalleryDir(), onSkip);
  const images: ListResult['images'] = bundled.map((e) => ({ id: e.id, file: e.path, name: basename(e.path), source: 'bundled' }));
  for (const s of await store.list()) images.push({ id: s.id, file: join(store.dir, s.file), name: s.name, source: 'added' });
  return { cache, images };
}

async function add(ctx: CliContext, paths: string[]): Promise<AddResult> {
  if (paths.length === 0) throw new UsageError('usage: gallery add DIR|IMAGE... [--cache DIR]');
  const cache = cacheDir(ctx);
  const { onSkip, skipped } = skipReporter();
  const files = await collectEntries(paths, onSkip);
  // Features first: only images the network could read join the gallery, and their features are then cached.
  const extractor = await diskExtractor(ctx);
  const readable = await extractor.features(files, { onSkip, onProgress: progress(ctx, 'features'), signal: ctx.signal });
  if (readable.entries.length === 0) throw new InvalidInputError(`no readable PNG or JPEG images in ${paths.join(', ')}`);
  const ok = new Set(readable.entries.map((e) => e.id));
  const bundled = new Set((await readGalleryDir(bundledGalleryDir())).map((e) => e.id));
  const { added, present } = await new GalleryStore(cache).add(files.filter((f) => ok.has(f.id)), bundled);
  return {
    cache,
    added: added.map((a) => ({ id: a.id, name: a.name, file: a.source })),
    present: present.map((p) => ({ id: p.id, name: p.name })),
    skipped: skippedJson(skipped),
    features: { computed: extractor.stats.computed, cached: extractor.stats.cached },
  };
}

async function remove(ctx: CliContext, keys: string[]): Promise<RemoveResult> {
  if (keys.length === 0) throw new UsageError('usage: gallery remove ID|NAME... [--cache DIR]');
  const cache = cacheDir(ctx);
  const removed = await new GalleryStore(cache).remove(keys);
  return { cache, removed: removed.map((r) => ({ id: r.id, name: r.name })) };
}

export const gallery: CliCommand<ListResult | AddResult | RemoveResult> = {
  summary: 'the image gallery: add images (features are computed and cached), list or remove them',
  usage: 'add DIR|IMAGE... | list | remove ID|NAME... [--cache DIR] [--batch N]',
  options: { ...CACHE_OPTION },
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER },
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals;
    switch (sub) {
      case 'add':
        return add(ctx, rest);
      case 'list':
        if (rest.length > 0) throw new UsageError('usage: gallery list [--cache DIR]');
        return list(ctx);
      case 'remove':
        return remove(ctx, rest);
      default:
        throw new UsageError(`unknown gallery action '${sub}': use add, list or remove`);
    }
  },
  text(r) {
    if ('images' in r) {
      return [...r.images.map((i) => `${i.id.slice(0, 12)}  ${i.source.padEnd(7)}  ${i.file}`), `${r.images.length} images (cache: ${r.cache})`].join('\n');
    }
    if ('added' in r) {
      return `added ${r.added.length}, already in the gallery ${r.present.length}, skipped ${r.skipped.length}; features computed for ${r.features.computed}, cached for ${r.features.cached} (cache: ${r.cache})`;
    }
    return `removed ${r.removed.map((x) => x.name).join(', ')}`;
  },
};
