import { FeatureExtractor } from '../../core/gallery/features';
import type { SkipHandler, SkippedImage } from '../../core/gallery/gallery';
import { DiskFeatureCache, defaultCacheDir } from '../../node/disk-feature-cache';
import { type FileEntry, GalleryStore, bundledGalleryDir, readGalleryDir } from '../../node/gallery-files';
import { type CliContext, numberOption, stringOption } from '../command';

/** Options shared by the commands that work on a gallery. */
export const GALLERY_OPTIONS = {
  gallery: { type: 'string' },
  cache: { type: 'string' },
  batch: { type: 'string' },
} as const;

export const CACHE_OPTION = { cache: { type: 'string' }, batch: { type: 'string' } } as const;

/** --cache DIR, else the default location (see defaultCacheDir). */
export function cacheDir(ctx: CliContext): string {
  return stringOption(ctx.values, 'cache') ?? defaultCacheDir();
}

/** Reports each skipped image on stderr, one line each, and remembers them for the JSON result. */
export function skipReporter(): { onSkip: SkipHandler; skipped: SkippedImage[] } {
  const skipped: SkippedImage[] = [];
  return {
    skipped,
    onSkip: (s) => {
      skipped.push(s);
      console.error(`convlens: skipped ${s.name}: ${s.reason}`);
    },
  };
}

/**
 * The gallery a command works on: the images in --gallery DIR, or by default the bundled images plus those added
 * with `gallery add` (kept in the cache folder).
 */
export async function galleryEntries(ctx: CliContext, onSkip: SkipHandler): Promise<FileEntry[]> {
  const dir = stringOption(ctx.values, 'gallery');
  if (dir !== undefined) return readGalleryDir(dir, onSkip);
  const bundled = await readGalleryDir(bundledGalleryDir(), onSkip);
  const known = new Set(bundled.map((e) => e.id));
  const added = (await new GalleryStore(cacheDir(ctx)).entries(onSkip)).filter((e) => !known.has(e.id));
  return [...bundled, ...added];
}

/** A feature extractor for the selected model over the on-disk cache. */
export async function diskExtractor(ctx: CliContext): Promise<FeatureExtractor> {
  const batchSize = numberOption(ctx.values, 'batch', 8, { min: 1, max: 64, integer: true });
  return new FeatureExtractor(await ctx.net(), { cache: new DiskFeatureCache(cacheDir(ctx)), batchSize });
}

/** Progress on stderr (TTY only) while images go through the network. */
export function progress(ctx: CliContext, label: string): (done: number, total: number) => void {
  return (done, total) => ctx.progress(`${label}: ${done}/${total} images`);
}

/** A skipped image as the gallery commands' JSON lists it. */
export interface SkippedJson {
  file: string;
  reason: string;
}

/** The core's SkippedImage records as JSON (`file` is the image's name: its path). */
export function skippedJson(skipped: readonly SkippedImage[]): SkippedJson[] {
  return skipped.map((s) => ({ file: s.name, reason: s.reason }));
}
