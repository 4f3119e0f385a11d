import type { ModelId } from '../../core/models';
import { type ClassVisualization, type FeatureTarget, type FeatureVisualization, visualizeClass, visualizeFeature } from '../../core/optimize/visualize';
import { modelInputToImage } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, UsageError, numberOption, stringOption } from '../command';
import { layerOption } from '../shared/layers';
import { DEFAULT_VISUALIZE_PRESET, VISUALIZE_JOB } from '../../core/optimize/defaults';
import { PRESET_OPTIONS, presetOptions } from '../shared/presets';
import { classIndexOption, parseNeuron } from '../shared/target';

interface Common {
  model: ModelId | string;
  ms: number;
  out?: string;
}

/** The core's ClassVisualization without the image tensor and the per-step values. */
export type ClassResult = Pick<ClassVisualization, 'class' | 'probability' | 'top' | 'preset' | 'steps'> & Common;

/** The core's FeatureVisualization without the image and values; its target as layer, channel and neuron position. */
export type FeatureResult = Pick<FeatureTarget, 'layer' | 'channel'> & { neuron: Pick<Extract<FeatureTarget, { kind: 'neuron' }>, 'x' | 'y'> | undefined } &
  Pick<FeatureVisualization, 'objectiveLayer' | 'activation' | 'startActivation' | 'preset' | 'steps'> &
  Common;

export const visualize: CliCommand<ClassResult | FeatureResult> = {
  summary: 'generate an image that a class (or a layer channel / unit) responds to most, by gradient ascent',
  usage:
    `(--class INDEX | --layer NAME --channel C [--neuron X,Y]) [--preset l2|yosinski|lucid-lite|lucid (default: ${DEFAULT_VISUALIZE_PRESET} for --class, l2 for --layer)] [--yosinski-row 1..4] ` +
    `[--steps N] [--more-detail (${VISUALIZE_JOB.detail.steps} steps, the app's "more detail"; --steps wins)] [--seed S] [--init zeros|noise] [--out img.png]`,
  options: { class: { type: 'string' }, layer: { type: 'string' }, channel: { type: 'string' }, neuron: { type: 'string' }, 'more-detail': { type: 'boolean' }, ...PRESET_OPTIONS },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const hasLayer = stringOption(ctx.values, 'layer') !== undefined;
    const hasClass = stringOption(ctx.values, 'class') !== undefined;
    if (hasClass === hasLayer) throw new UsageError('give either --class INDEX or --layer NAME --channel C');
    if (hasClass && (ctx.values['channel'] !== undefined || ctx.values['neuron'] !== undefined)) {
      throw new UsageError('--channel and --neuron go with --layer, not --class');
    }
    // A class gets the app's recipe (Lucid); a layer channel / unit keeps the lecture's plain L2 ascent.
    const options = presetOptions(ctx, hasClass ? DEFAULT_VISUALIZE_PRESET : 'l2');
    if (ctx.values['more-detail'] === true && stringOption(ctx.values, 'steps') === undefined) options.steps = VISUALIZE_JOB.detail.steps;
    const out = stringOption(ctx.values, 'out');
    const net = await ctx.net();
    const t0 = performance.now();
    if (hasClass) {
      const index = classIndexOption(ctx.values, 'class');
      if (typeof index !== 'number') throw new UsageError('--class needs a class index');
      const r = await visualizeClass(net, index, options);
      try {
        const ms = Math.round(performance.now() - t0);
        if (out) writePng(out, await modelInputToImage(r.image));
        return { model: ctx.model, class: r.class, probability: r.probability, top: r.top, preset: r.preset, steps: r.steps, contrastRaised: r.contrastRaised, ms, out };
      } finally {
        r.image.dispose();
      }
    }
    const layer = layerOption(net, ctx.values, 'layer', 'feature-visualisation');
    if (ctx.values['channel'] === undefined) throw new UsageError('--layer needs --channel C');
    const channel = numberOption(ctx.values, 'channel', 0, { integer: true });
    const neuronRaw = stringOption(ctx.values, 'neuron');
    const neuron = neuronRaw === undefined ? undefined : parseNeuron(neuronRaw);
    const r = await visualizeFeature(net, neuron ? { kind: 'neuron', layer, channel, ...neuron } : { kind: 'channel', layer, channel }, options);
    try {
      const ms = Math.round(performance.now() - t0);
      if (out) writePng(out, await modelInputToImage(r.image));
      const { objectiveLayer, activation, startActivation } = r;
      return { model: ctx.model, layer, channel, neuron, objectiveLayer, activation, startActivation, preset: r.preset, steps: r.steps, ms, out };
    } finally {
      r.image.dispose();
    }
  },
  text(r) {
    const what = 'class' in r ? `class ${r.class.index} (${r.class.label}): p = ${r.probability.toFixed(3)}` : `${r.layer} channel ${r.channel}: activation ${r.activation.toFixed(3)}`;
    return `${what} after ${r.steps} steps (${r.preset}${'contrastRaised' in r && r.contrastRaised ? ', contrast raised for display' : ''}, ${r.ms} ms)${r.out ? ` → ${r.out}` : ''}`;
  },
};
