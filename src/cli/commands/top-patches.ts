import { InvalidInputError } from '../../core/errors';
import { patchGrid, topPatches as findTopPatches } from '../../core/gallery/top-patches';
import { writePng } from '../../node/image-io';
import { type CliCommand, numberOption, requireString, stringOption } from '../command';
import { GALLERY_OPTIONS, diskExtractor, galleryEntries, progress, skipReporter, skippedJson } from '../gallery-inputs';

interface TopPatchesResult {
  layer: string;
  channel: number;
  receptiveField: { size: [number, number]; stride: [number, number] };
  patches: { file: string; id: string; x: number; y: number; width: number; height: number; activation: number; unit: { y: number; x: number } }[];
  skipped: { file: string; reason: string }[];
  out?: string;
}

export const topPatches: CliCommand = {
  summary: "the gallery patches that activate one channel of a layer most (each unit's receptive field)",
  usage: '--layer NAME --channel C [--gallery DIR] [--k 9] [--overlap 0.5] [--out grid.png] [--cache DIR] [--batch N]',
  options: { ...GALLERY_OPTIONS, layer: { type: 'string' }, channel: { type: 'string' }, k: { type: 'string' }, overlap: { type: 'string' }, out: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(ctx): Promise<TopPatchesResult> {
    const layer = requireString(ctx.values, 'layer');
    requireString(ctx.values, 'channel');
    const channel = numberOption(ctx.values, 'channel', 0, { min: 0, integer: true });
    const k = numberOption(ctx.values, 'k', 9, { min: 1, max: 400, integer: true });
    const maxOverlap = numberOption(ctx.values, 'overlap', 0.5, { min: 0, max: 1 });
    const out = stringOption(ctx.values, 'out');
    const net = await ctx.net();
    net.layer(layer); // an unknown layer fails before the gallery is read
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
  text(result) {
    const r = result as TopPatchesResult;
    const lines = r.patches.map((p) => `${p.activation.toFixed(3).padStart(8)}  ${p.file} [${p.x}, ${p.y}, ${p.width}×${p.height}]`);
    return [`${r.layer} channel ${r.channel} (receptive field ${r.receptiveField.size.join('×')}, stride ${r.receptiveField.stride[0]}):`, ...lines, ...(r.out ? [`grid → ${r.out}`] : [])].join('\n');
  },
};
