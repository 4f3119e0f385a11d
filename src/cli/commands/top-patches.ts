import { InvalidInputError } from '../../core/errors';
import type { ReceptiveField } from '../../core/gallery/receptive-field';
import { type Patch, type TopPatchResult, patchGrid, topPatches as findTopPatches } from '../../core/gallery/top-patches';
import type { CropRect } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, numberOption, requireString, stringOption } from '../command';
import { GALLERY_OPTIONS, type SkippedJson, diskExtractor, galleryEntries, progress, skipReporter, skippedJson } from '../shared/gallery';
import { layerOption } from '../shared/layers';

/** One core Patch as JSON: its file and id, its region in the image (CropRect), its activation and unit. */
export type PatchJson = { file: string; id: string } & CropRect & Pick<Patch, 'activation' | 'unit'>;

/** The core's TopPatchResult as JSON. */
export interface TopPatchesResult extends Pick<TopPatchResult, 'layer' | 'channel'> {
  receptiveField: Pick<ReceptiveField, 'size' | 'stride'>;
  patches: PatchJson[];
  skipped: SkippedJson[];
  out?: string;
}

export const topPatches: CliCommand<TopPatchesResult> = {
  summary: "the gallery patches that activate one channel of a layer most (each unit's receptive field)",
  usage: '--layer NAME --channel C [--gallery DIR] [--k 9] [--overlap 0.5] [--out grid.png] [--cache DIR] [--batch N]',
  options: { ...GALLERY_OPTIONS, layer: { type: 'string' }, channel: { type: 'string' }, k: { type: 'string' }, overlap: { type: 'string' }, out: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    requireString(ctx.values, 'layer');
    requireString(ctx.values, 'channel');
    const channel = numberOption(ctx.values, 'channel', 0, { min: 0, integer: true });
    const k = numberOption(ctx.values, 'k', 9, { min: 1, max: 400, integer: true });
    const maxOverlap = numberOption(ctx.values, 'overlap', 0.5, { min: 0, max: 1 });
    const out = stringOption(ctx.values, 'out');
    const net = await ctx.net();
    const layer = layerOption(net, ctx.values, 'layer', 'top-patches'); // before the gallery is read
    const { onSkip, skipped } = skipReporter();
    const gallery = await galleryEntries(ctx, onSkip);
    if (gallery.length === 0) throw new InvalidInputError('the gallery has no images');
    const extractor = await diskExtractor(ctx);
    const result = await findTopPatches(extractor, gallery, {
      layer,
      channel,
      k,
      maxOverlap,
      tileSize: out ? 96 : 0,
      onSkip,
      onProgress: progress(ctx, layer),
      signal: ctx.signal,
    });
    if (out) writePng(out, patchGrid(result.patches));
    return {
      layer,
      channel,
      receptiveField: { size: result.field.size, stride: result.field.stride },
      patches: result.patches.map((p) => ({ file: p.entry.name, id: p.entry.id, ...p.region, activation: p.activation, unit: p.unit })),
      skipped: skippedJson(skipped),
      ...(out ? { out } : {}),
    };
  },
  text(r) {
    const lines = r.patches.map((p) => `${p.activation.toFixed(3).padStart(8)}  ${p.file} [${p.x}, ${p.y}, ${p.width}×${p.height}]`);
    return [`${r.layer} channel ${r.channel} (receptive field ${r.receptiveField.size.join('×')}, stride ${r.receptiveField.stride[0]}):`, ...lines, ...(r.out ? [`grid → ${r.out}`] : [])].join('\n');
  },
};
