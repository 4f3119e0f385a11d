import type { ProgressCallback } from '../../core/optimize/engine';
import { PRESET_NAMES, type Preset, type PresetName, preset, yosinskiPreset } from '../../core/optimize/presets';
import { type VisualizeOptions, visualizeClass, visualizeFeature } from '../../core/optimize/visualize';
import { modelInputToImage } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, type CliContext, UsageError, choiceOption, numberOption, stringOption } from '../command';

/** Options shared by the commands that run a visualisation preset (visualize, invert). */
export const PRESET_OPTIONS = {
  preset: { type: 'string' },
  'yosinski-row': { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  init: { type: 'string' },
  out: { type: 'string' },
} as const;

export function progressReporter(ctx: CliContext): ProgressCallback {
  return ({ step, steps, objective }) => ctx.progress(`step ${step}/${steps}  objective ${objective.toPrecision(4)}`);
}

/** Reads --preset/--yosinski-row/--steps/--seed/--init into engine options. */
export function presetOptions(ctx: CliContext, fallback: PresetName): VisualizeOptions {
  const name = choiceOption(ctx.values, 'preset', PRESET_NAMES, fallback);
  const rowRaw = stringOption(ctx.values, 'yosinski-row');
  if (rowRaw !== undefined && name !== 'yosinski') throw new UsageError('--yosinski-row needs --preset yosinski');
  const chosen: Preset = rowRaw === undefined ? preset(name) : yosinskiPreset(numberOption(ctx.values, 'yosinski-row', 3, { min: 1, max: 4, integer: true }));
  const steps = numberOption(ctx.values, 'steps', chosen.steps, { min: 1, max: 100_000, integer: true });
  const seed = numberOption(ctx.values, 'seed', 0, { min: 0, max: 2 ** 32 - 1, integer: true });
  const init = stringOption(ctx.values, 'init') === undefined ? undefined : choiceOption(ctx.values, 'init', ['zeros', 'noise'] as const, 'zeros');
  return { preset: chosen, steps, seed, init, signal: ctx.signal, onProgress: progressReporter(ctx) };
}

function parseNeuron(raw: string): { x: number; y: number } {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(raw);
  if (!m) throw new UsageError(`--neuron must be X,Y (two non-negative integers), got '${raw}'`);
  return { x: Number(m[1]), y: Number(m[2]) };
}

interface ClassResult {
  model: string;
  class: { index: number; label: string };
  probability: number;
  top: number;
  preset: string;
  steps: number;
  ms: number;
  out?: string;
}

interface FeatureResult {
  model: string;
  layer: string;
  channel: number;
  neuron?: { x: number; y: number };
  /** The layer the ascent drove (the pre-activation of a ReLU layer). */
  objectiveLayer: string;
  /** Channel mean / unit value at --layer on the result, and on the grey image for comparison. */
  activation: number;
  startActivation: number;
  preset: string;
  steps: number;
  ms: number;
  out?: string;
}

export const visualize: CliCommand = {
  summary: 'generate an image that a class (or a layer channel / unit) responds to most, by gradient ascent',
  usage:
    '(--class INDEX | --layer NAME --channel C [--neuron X,Y]) [--preset l2|yosinski|lucid-lite] [--yosinski-row 1..4] ' +
    '[--steps N] [--seed S] [--init zeros|noise] [--out img.png]',
  options: { class: { type: 'string' }, layer: { type: 'string' }, channel: { type: 'string' }, neuron: { type: 'string' }, ...PRESET_OPTIONS },
  positionals: { min: 0, max: 0 },
  async run(ctx): Promise<ClassResult | FeatureResult> {
    const layer = stringOption(ctx.values, 'layer');
    const hasClass = stringOption(ctx.values, 'class') !== undefined;
    if (hasClass === (layer !== undefined)) throw new UsageError('give either --class INDEX or --layer NAME --channel C');
    if (hasClass && (ctx.values['channel'] !== undefined || ctx.values['neuron'] !== undefined)) {
      throw new UsageError('--channel and --neuron go with --layer, not --class');
    }
    const options = presetOptions(ctx, 'l2');
    const out = stringOption(ctx.values, 'out');
    const net = await ctx.net();
    const t0 = performance.now();
    if (hasClass) {
      const index = numberOption(ctx.values, 'class', 0, { integer: true });
      const r = await visualizeClass(net, index, options);
      try {
        const ms = Math.round(performance.now() - t0);
        if (out) writePng(out, await modelInputToImage(r.image));
        return { model: ctx.model, class: r.class, probability: r.probability, top: r.top, preset: r.preset, steps: r.steps, ms, out };
      } finally {
        r.image.dispose();
      }
    }
    if (ctx.values['channel'] === undefined) throw new UsageError('--layer needs --channel C');
    const channel = numberOption(ctx.values, 'channel', 0, { integer: true });
    const neuronRaw = stringOption(ctx.values, 'neuron');
    const neuron = neuronRaw === undefined ? undefined : parseNeuron(neuronRaw);
    const r = await visualizeFeature(net, neuron ? { kind: 'neuron', layer: layer!, channel, ...neuron } : { kind: 'channel', layer: layer!, channel }, options);
    try {
      const ms = Math.round(performance.now() - t0);
      if (out) writePng(out, await modelInputToImage(r.image));
      const { objectiveLayer, activation, startActivation } = r;
      return { model: ctx.model, layer: layer!, channel, neuron, objectiveLayer, activation, startActivation, preset: r.preset, steps: r.steps, ms, out };
    } finally {
      r.image.dispose();
    }
  },
  text(result) {
    const r = result as ClassResult | FeatureResult;
    const what = 'class' in r ? `class ${r.class.index} (${r.class.label}): p = ${r.probability.toFixed(3)}` : `${r.layer} channel ${r.channel}: activation ${r.activation.toFixed(3)}`;
    return `${what} after ${r.steps} steps (${r.preset}, ${r.ms} ms)${r.out ? ` → ${r.out}` : ''}`;
  },
};
