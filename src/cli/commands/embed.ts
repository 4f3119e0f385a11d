import { InvalidInputError } from '../../core/errors';
import { thumbnail } from '../../core/gallery/draw';
import { EMBED_METHODS, type Embedding, embed as embedVectors } from '../../core/gallery/embed';
import { scatterPlot } from '../../core/gallery/render';
import type { RgbaImage } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, choiceOption, numberOption, stringOption } from '../command';
import { GALLERY_OPTIONS, type SkippedJson, diskExtractor, galleryEntries, progress, skipReporter, skippedJson } from '../shared/gallery';

/** The core's Embedding as JSON: each point with its file and id; the seed for the random methods. */
export interface EmbedResult extends Pick<Embedding, 'method' | 'explained'> {
  seed?: number;
  points: { file: string; id: string; x: number; y: number }[];
  skipped: SkippedJson[];
  out?: string;
}

export const embed: CliCommand<EmbedResult> = {
  summary: "a 2-D map of the gallery's feature space (PCA, t-SNE or UMAP), optionally drawn with thumbnails",
  usage: '[--method pca|tsne|umap] [--gallery DIR] [--seed S] [--perplexity P] [--iterations N] [--out map.png] [--cache DIR] [--batch N]',
  options: {
    ...GALLERY_OPTIONS,
    method: { type: 'string' },
    seed: { type: 'string' },
    perplexity: { type: 'string' },
    iterations: { type: 'string' },
    out: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const method = choiceOption(ctx.values, 'method', EMBED_METHODS, 'pca');
    const seed = numberOption(ctx.values, 'seed', 1, { min: 0, max: 2 ** 32 - 1, integer: true });
    const perplexity = numberOption(ctx.values, 'perplexity', 30, { min: 1, max: 1000 });
    const iterations = numberOption(ctx.values, 'iterations', 1000, { min: 1, max: 100_000, integer: true });
    const out = stringOption(ctx.values, 'out');
    const { onSkip, skipped } = skipReporter();
    const gallery = await galleryEntries(ctx, onSkip);
    if (gallery.length === 0) throw new InvalidInputError('the gallery has no images');
    const extractor = await diskExtractor(ctx);
    const set = await extractor.features(gallery, { onSkip, onProgress: progress(ctx, 'features'), signal: ctx.signal });
    const map = embedVectors(set.vectors, method, { seed, perplexity, iterations });
    if (out) {
      // Thumbnails are made one image at a time, so a large gallery never sits decoded in memory at once.
      const thumbs: RgbaImage[] = [];
      for (const entry of set.entries) thumbs.push(thumbnail(await entry.decode(), 128));
      writePng(out, scatterPlot(map.points, thumbs));
    }
    return {
      method,
      ...(method === 'pca' ? { explained: map.explained } : { seed }),
      points: set.entries.map((e, i) => ({ file: e.name, id: e.id, x: map.points[i]![0], y: map.points[i]![1] })),
      skipped: skippedJson(skipped),
      ...(out ? { out } : {}),
    };
  },
  text(r) {
    const head = r.explained ? `PCA: x explains ${(r.explained[0] * 100).toFixed(1)} %, y ${(r.explained[1] * 100).toFixed(1)} % of the variance` : `${r.method} (seed ${r.seed})`;
    return [head, ...r.points.map((p) => `${p.x.toFixed(3).padStart(10)} ${p.y.toFixed(3).padStart(10)}  ${p.file}`), ...(r.out ? [`map → ${r.out}`] : [])].join('\n');
  },
};
