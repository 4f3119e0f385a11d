import type { ModelId } from '../../core/models';
import { INVERT_JOB, INVERT_ROW_PRESET } from '../../core/optimize/defaults';
import { type Inversion, type RowInversion, invertFeatures, invertRow, invertRowLayers } from '../../core/optimize/invert';
import { modelInputToImage, type RgbaImage } from '../../core/preprocess';
import { drawText, paste, textWidth } from '../../core/gallery/draw';
import { blankImage, sideBySide, stretchContrast } from '../../core/render/image';
import { writePng } from '../../node/image-io';
import { type CliCommand, UsageError, stringOption } from '../command';
import { FIT_OPTION, loadImage } from '../shared/inputs';
import { layerOption } from '../shared/layers';
import { PRESET_OPTIONS, presetOptions } from '../shared/presets';

/** One layer's inversion as the CLI reports it: the core's Inversion without the image tensor and the per-step values. */
export type InvertLayerResult = Pick<Inversion, 'layer' | 'distance' | 'startDistance' | 'preset' | 'steps'>;

/** `invert --layer`: one inversion; `invert --layers`: the row (each layer with its pixel correlation and time). */
export interface InvertResult extends InvertLayerResult {
  model: ModelId | string;
  ms: number;
  out?: string;
  /** With --layers: every layer of the row, shallow to deep (the top-level fields are the deepest one's). */
  row?: (InvertLayerResult & Pick<RowInversion, 'pixelCorrelation' | 'ms'>)[];
}

/**
 * The row picture: the photo, then each reconstruction (contrast-stretched) in the order of the row, each with its
 * relative feature distance printed under it (the PNG's built-in font has digits only; the layers are in the text
 * and JSON output).
 */
function rowPicture(original: RgbaImage, row: readonly { layer: string; distance: number; image: RgbaImage }[]): RgbaImage {
  const cell = (image: RgbaImage, lines: string[]): RgbaImage => {
    const out = blankImage(image.width, image.height + 18, [32, 32, 32, 255]);
    paste(out, image, 0, 0);
    lines.forEach((text, i) => drawText(out, text, Math.max(2, (out.width - textWidth(text)) / 2), image.height + 4 + i * 16, [230, 230, 230, 255]));
    return out;
  };
  return sideBySide([cell(original, []), ...row.map((r) => cell(stretchContrast(r.image), [r.distance.toFixed(2)]))], 4);
}

export const invert: CliCommand<InvertResult> = {
  summary: "feature inversion: an image whose features at a layer (or each of several) match IMAGE's",
  usage:
    'IMAGE (--layer NAME | --layers A,B,C | --layers row) [--preset l2|yosinski|lucid-lite|lucid] [--yosinski-row 1..4] [--steps N] [--seed S] [--init zeros|noise] [--out img.png]',
  options: { layer: { type: 'string' }, layers: { type: 'string' }, ...PRESET_OPTIONS, ...FIT_OPTION },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const list = stringOption(ctx.values, 'layers');
    if (list !== undefined && stringOption(ctx.values, 'layer') !== undefined) throw new UsageError('give --layer or --layers, not both');
    const options = presetOptions(ctx, list === undefined ? 'yosinski' : INVERT_ROW_PRESET);
    // The row's step budget is the app's (INVERT_JOB.default) unless --steps says otherwise.
    if (list !== undefined && stringOption(ctx.values, 'steps') === undefined) options.steps = INVERT_JOB.default.steps;
    const out = stringOption(ctx.values, 'out');
    const net = await ctx.net();
    const layers =
      list === undefined
        ? [layerOption(net, ctx.values, 'layer', 'inversion')]
        : list.trim() === 'row'
          ? invertRowLayers(net)
          : list.split(',').map((name) => layerOption(net, { layer: name.trim() }, 'layer', 'inversion'));
    const img = await loadImage(ctx, ctx.positionals[0]!);
    try {
      const t0 = performance.now();
      if (list === undefined) {
        const r = await invertFeatures(net, img.input, layers[0]!, options);
        try {
          const ms = Math.round(performance.now() - t0);
          if (out) writePng(out, await modelInputToImage(r.image));
          return { model: ctx.model, layer: r.layer, distance: r.distance, startDistance: r.startDistance, preset: r.preset, steps: r.steps, ms, out };
        } finally {
          r.image.dispose();
        }
      }
      // The row reports per layer and step, in place of presetOptions' per-run reporter.
      const row = await invertRow(net, img.input, layers, { ...options, onProgress: (p) => ctx.progress(`${p.layer} step ${p.step}/${p.steps}  (${p.done}/${p.total})`) });
      try {
        const ms = Math.round(performance.now() - t0);
        if (out) {
          const images = [];
          for (const r of row) images.push({ layer: r.layer, distance: r.distance, image: await modelInputToImage(r.image) });
          writePng(out, rowPicture(await modelInputToImage(img.input), images));
        }
        const last = row.at(-1)!;
        return {
          model: ctx.model,
          layer: last.layer,
          distance: last.distance,
          startDistance: last.startDistance,
          preset: last.preset,
          steps: last.steps,
          ms,
          out,
          row: row.map((r) => ({ layer: r.layer, distance: r.distance, startDistance: r.startDistance, preset: r.preset, steps: r.steps, pixelCorrelation: r.pixelCorrelation, ms: Math.round(r.ms) })),
        };
      } finally {
        for (const r of row) r.image.dispose();
      }
    } finally {
      img.input.dispose();
    }
  },
  text(r) {
    const line = (x: InvertLayerResult): string => `${x.layer}: feature distance ${x.startDistance.toFixed(3)} → ${x.distance.toFixed(3)} in ${x.steps} steps`;
    if (r.row) {
      const rows = r.row.map((x) => `${line(x)}, pixel correlation ${x.pixelCorrelation.toFixed(2)} (${x.ms} ms)`);
      return [...rows, `${r.row.length} layers (${r.preset}) in ${r.ms} ms${r.out ? ` → ${r.out}` : ''}`].join('\n');
    }
    return `${line(r)} (${r.preset}, ${r.ms} ms)${r.out ? ` → ${r.out}` : ''}`;
  },
};
