import { InvalidInputError } from '../../core/errors';
import { METRICS, type NeighbourResult, SPACES, STANDARD_VIEWS, compareNeighbours, findNeighbours } from '../../core/gallery/neighbours';
import { PALETTE, neighbourPanel } from '../../core/gallery/render';
import { fileEntry } from '../../node/gallery-files';
import { writePng } from '../../node/image-io';
import { type CliCommand, choiceOption, numberOption, stringOption } from '../command';
import { GALLERY_OPTIONS, type SkippedJson, diskExtractor, galleryEntries, skipReporter, skippedJson } from '../shared/gallery';

/** The core's NeighbourResult as JSON: each match's file, id and distance. */
export interface NeighboursResult extends Pick<NeighbourResult, 'space' | 'metric'> {
  query: string;
  neighbours: ({ file: string; id: string } & Pick<NeighbourResult['neighbours'][number], 'distance'>)[];
  skipped: SkippedJson[];
  out?: string;
}

const VIEW_COLORS = [PALETTE[0]!, PALETTE[4]!, PALETTE[1]!];

export const neighbours: CliCommand<NeighboursResult> = {
  summary: 'nearest gallery images to an image, in feature space (L2 or cosine) or pixel space',
  usage: 'IMAGE [--gallery DIR] [--k 5] [--space feature|pixel] [--metric l2|cosine] [--out panel.png] [--cache DIR] [--batch N]',
  options: { ...GALLERY_OPTIONS, k: { type: 'string' }, space: { type: 'string' }, metric: { type: 'string' }, out: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const k = numberOption(ctx.values, 'k', 5, { min: 1, max: 1000, integer: true });
    const space = choiceOption(ctx.values, 'space', SPACES, 'feature');
    const metric = choiceOption(ctx.values, 'metric', METRICS, 'l2');
    const out = stringOption(ctx.values, 'out');
    const query = await fileEntry(ctx.positionals[0]!);
    const { onSkip, skipped } = skipReporter();
    const gallery = await galleryEntries(ctx, onSkip);
    if (gallery.length === 0) throw new InvalidInputError('the gallery has no images');
    const extractor = await diskExtractor(ctx);
    let result: NeighbourResult;
    if (out) {
      // The picture always compares the lecture's three views; the JSON reports the one asked for.
      const views = STANDARD_VIEWS.some((v) => v.space === space && v.metric === metric) ? STANDARD_VIEWS : [...STANDARD_VIEWS, { space, metric }];
      const results = await compareNeighbours(extractor, query, gallery, { k, views, onSkip, signal: ctx.signal });
      result = results.find((r) => r.space === space && r.metric === metric)!;
      const rows = [];
      for (const [i, r] of results.entries()) {
        const images = [];
        for (const n of r.neighbours) images.push({ image: await n.entry.decode(), distance: n.distance });
        rows.push({ color: VIEW_COLORS[i] ?? PALETTE[i % PALETTE.length]!, neighbours: images });
      }
      writePng(out, neighbourPanel(await query.decode(), rows));
    } else {
      result = await findNeighbours(extractor, query, gallery, { k, space, metric, onSkip, signal: ctx.signal });
    }
    if (result.neighbours.length === 0) throw new InvalidInputError('the gallery has no readable images other than the query');
    return {
      space,
      metric,
      query: query.name,
      neighbours: result.neighbours.map((n) => ({ file: n.entry.name, id: n.entry.id, distance: n.distance })),
      skipped: skippedJson(skipped),
      ...(out ? { out } : {}),
    };
  },
  text(r) {
    const lines = r.neighbours.map((n, i) => `${String(i + 1).padStart(2)}. ${n.distance.toFixed(4).padStart(10)}  ${n.file}`);
    return [`nearest to ${r.query} (${r.space} space, ${r.metric}):`, ...lines, ...(r.out ? [`panel (rows: feature L2, feature cosine, pixel L2) → ${r.out}`] : [])].join('\n');
  },
};
