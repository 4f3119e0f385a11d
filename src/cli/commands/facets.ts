import { InvalidInputError } from '../../core/errors';
import { FeatureExtractor } from '../../core/gallery/features';
import { PrecomputedFeatureCache } from '../../core/gallery/precomputed';
import { facetPanel } from '../../core/optimize/facet-panel';
import { type Facet, type MultifacetedResult, multifacetedVisualization } from '../../core/optimize/multifaceted';
import { MULTIFACETED_DEFAULTS } from '../../core/optimize/multifaceted-defaults';
import { modelInputToImage } from '../../core/preprocess';
import { DiskFeatureCache } from '../../node/disk-feature-cache';
import { appGalleryEntries, readGalleryDir, readPrecomputed } from '../../node/gallery-files';
import { writePng } from '../../node/image-io';
import { type CliCommand, type CliContext, UsageError, numberOption, stringOption } from '../command';
import { GALLERY_OPTIONS, type SkippedJson, cacheDir, skipReporter, skippedJson } from '../shared/gallery';
import { classIndexOption } from '../shared/target';

/** One facet as JSON: its members (file, id, logit), the class logit and probability of its start and its image. */
export type FacetJson = Pick<Facet, 'value' | 'initValue' | 'ms'> & {
  probability: number;
  initProbability: number;
  members: { file: string; id: string; logit: number }[];
};

/** The core's MultifacetedResult as JSON. */
export interface FacetsResult extends Pick<MultifacetedResult, 'scored' | 'steps'> {
  class: { index: number; label: string };
  facets: FacetJson[];
  ms: number;
  skipped: SkippedJson[];
  out?: string;
}

/**
 * The gallery and extractor: --gallery DIR (its images, features cached on disk), or by default the app's gallery
 * (the bundled pictures and photo set, public/gallery/gallery.json) with its shipped features in front of the cache.
 */
async function facetGallery(ctx: CliContext, onSkip: Parameters<typeof readGalleryDir>[1]) {
  const net = await ctx.net();
  const batchSize = numberOption(ctx.values, 'batch', 8, { min: 1, max: 64, integer: true });
  const disk = new DiskFeatureCache(cacheDir(ctx));
  const dir = stringOption(ctx.values, 'gallery');
  if (dir !== undefined) return { entries: await readGalleryDir(dir, onSkip), extractor: new FeatureExtractor(net, { cache: disk, batchSize }) };
  const cache = new PrecomputedFeatureCache(() => readPrecomputed(), disk);
  return { entries: await appGalleryEntries(), extractor: new FeatureExtractor(net, { cache, batchSize }) };
}

export const facets: CliCommand<FacetsResult> = {
  summary: 'multifaceted visualisation: cluster the gallery images a class scores highest, one generated image per facet',
  usage:
    `--class INDEX [--facets K (${MULTIFACETED_DEFAULTS.facets})] [--top N (${MULTIFACETED_DEFAULTS.topN})] [--steps S (${MULTIFACETED_DEFAULTS.steps} per facet)] ` +
    `[--seed ${MULTIFACETED_DEFAULTS.seed}] [--gallery DIR (default: the app's gallery)] [--out grid.png] [--cache DIR] [--batch N]`,
  options: { ...GALLERY_OPTIONS, class: { type: 'string' }, facets: { type: 'string' }, top: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const index = classIndexOption(ctx.values, 'class');
    if (typeof index !== 'number') throw new UsageError('--class INDEX is required');
    const k = numberOption(ctx.values, 'facets', MULTIFACETED_DEFAULTS.facets, { min: 1, max: 12, integer: true });
    const topN = numberOption(ctx.values, 'top', MULTIFACETED_DEFAULTS.topN, { min: 2, max: 200, integer: true });
    const steps = numberOption(ctx.values, 'steps', MULTIFACETED_DEFAULTS.steps, { min: 0, max: 1000, integer: true });
    const seed = numberOption(ctx.values, 'seed', MULTIFACETED_DEFAULTS.seed, { integer: true });
    const out = stringOption(ctx.values, 'out');
    const { onSkip, skipped } = skipReporter();
    const { entries, extractor } = await facetGallery(ctx, onSkip);
    if (entries.length === 0) throw new InvalidInputError('the gallery has no images');
    const t0 = performance.now();
    const r = await multifacetedVisualization(extractor, entries, { kind: 'class', index }, {
      facets: k,
      topN,
      steps,
      seed,
      onSkip,
      signal: ctx.signal,
      onProgress: (p) => ctx.progress(p.phase === 'scoring' ? `scoring: ${p.done}/${p.total} images` : `facet ${p.facet! + 1}: step ${p.done}/${p.total}`),
    });
    try {
      const ms = Math.round(performance.now() - t0);
      if (out) {
        const rows = [];
        for (const f of r.facets) {
          rows.push({
            init: await modelInputToImage(f.init),
            image: await modelInputToImage(f.image),
            initProbability: f.initProbability ?? 0,
            probability: f.probability ?? 0,
            members: await Promise.all(f.members.map(async (m) => m.entry.decode())),
          });
        }
        writePng(out, facetPanel(rows));
      }
      return {
        class: { index, label: r.label ?? '' },
        scored: r.scored,
        steps: r.steps,
        facets: r.facets.map((f) => ({
          value: f.value,
          initValue: f.initValue,
          probability: f.probability ?? 0,
          initProbability: f.initProbability ?? 0,
          ms: Math.round(f.ms),
          members: f.members.map((m) => ({ file: m.entry.name, id: m.entry.id, logit: m.score })),
        })),
        ms,
        skipped: skippedJson(skipped),
        ...(out ? { out } : {}),
      };
    } finally {
      for (const f of r.facets) {
        f.init.dispose();
        f.image.dispose();
      }
    }
  },
  text(r) {
    const lines = r.facets.map(
      (f, i) =>
        `facet ${i + 1}: p ${(f.initProbability * 100).toFixed(1)} % → ${(f.probability * 100).toFixed(1)} % (logit ${f.initValue.toFixed(2)} → ${f.value.toFixed(2)}, ${f.ms} ms); ` +
        f.members.map((m) => m.file.replace(/^.*\//, '')).join(', '),
    );
    return [`facets of class ${r.class.index} (${r.class.label}), ${r.steps} steps each, from the top ${r.facets.reduce((n, f) => n + f.members.length, 0)} of ${r.scored} gallery images:`, ...lines, ...(r.out ? [`panel → ${r.out}`] : [])].join('\n');
  },
};
