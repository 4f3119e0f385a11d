import { ATTRIBUTION_METHOD_NAMES } from '../../core/attribution';
import { type Prediction, classify } from '../../core/classify';
import type { ModelId } from '../../core/models';
import { sanityCheck } from '../../core/sanity';
import { type CliCommand, numberOption } from '../command';
import { FIT_OPTION, loadImage } from '../shared/inputs';
import { classIndexOption, methodOption } from '../shared/target';

/**
 * The JSON document of `sanity` (Adebayo et al. 2018's cascading randomisation, src/core/sanity.ts): per randomised
 * layer, top layer first, the Spearman rank correlation in [−1, 1] of the map on the network randomised down to
 * that layer with the trained network's map; `null` where a map is constant (no rank correlation).
 */
export interface SanityCliResult {
  method: string;
  model: ModelId | string;
  /** The class explained on every network (chosen on the trained one), with its trained probability. */
  target: Prediction;
  /** Seed of the random weights. */
  seed: number;
  layers: { layer: string; spearman: number | null }[];
  ms: number;
}

const METHOD_NAMES: readonly string[] = ATTRIBUTION_METHOD_NAMES;

export const sanity: CliCommand<SanityCliResult> = {
  summary: 'sanity check of an attribution method (Adebayo et al. 2018): randomise layers top-down, rank-correlate each map with the original',
  usage:
    `IMAGE --method NAME (${METHOD_NAMES.join(', ')}) [--target INDEX|top] [--layers N (layers to randomise from conv_preds down; default all)] ` +
    '[--seed S (random weights, 0)] — JSON: {method, model, target, seed, layers: [{layer, spearman (null: constant map)}], ms}',
  options: {
    method: { type: 'string' },
    target: { type: 'string' },
    layers: { type: 'string' },
    seed: { type: 'string' },
    ...FIT_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const v = ctx.values;
    const methodName = methodOption(v);
    const classTarget = classIndexOption(v, 'target', { allowTop: true }) ?? 'top';
    const seed = numberOption(v, 'seed', 0, { min: 0, max: 2 ** 32 - 1, integer: true });
    const net = await ctx.net();
    const convs = net.convLayers().length;
    const layers = numberOption(v, 'layers', convs, { min: 1, max: convs, integer: true });
    const img = await loadImage(ctx, ctx.positionals[0]!);
    try {
      const all = await classify(net, img.input, net.numClasses);
      const chosen = classTarget === 'top' ? all[0]! : all.find((p) => p.index === classTarget)!;
      const started = performance.now();
      const result = await sanityCheck(net, { tensor: img.input, crop: img.crop }, {
        method: methodName,
        target: { kind: 'class', index: chosen.index },
        layers,
        seed,
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress(`sanity ${methodName}: ${done}/${total} maps`),
      });
      return {
        method: methodName,
        model: ctx.model,
        target: chosen,
        seed,
        layers: result.steps.map((s) => ({ layer: s.layer, spearman: Number.isNaN(s.spearman) ? null : Number(s.spearman.toFixed(4)) })),
        ms: Math.round(performance.now() - started),
      };
    } finally {
      img.input.dispose();
    }
  },
  text(r) {
    const width = Math.max(...r.layers.map((l) => l.layer.length), 'randomised down to'.length);
    const rows = r.layers.map((l) => `${l.layer.padEnd(width)}  ${l.spearman === null ? '— (constant map)' : l.spearman.toFixed(3).padStart(6)}`);
    return [
      `${r.method} for ${r.target.label} (${r.target.index}, p=${r.target.probability.toFixed(3)}), seed ${r.seed}, ${r.ms} ms`,
      `${'randomised down to'.padEnd(width)}  Spearman ρ with the trained map`,
      ...rows,
    ].join('\n');
  },
};
