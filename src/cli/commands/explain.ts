import {
  ATTRIBUTION_METHOD_NAMES,
  type AttributionMap,
  type AttributionTarget,
  type Fill,
  INTEGRATED_GRADIENTS_DEFAULTS as IG,
  OCCLUSION_DEFAULTS as OCC,
  SHAPLEY_DEFAULTS as SHAP,
  SMOOTHGRAD_DEFAULTS as SG,
  SMOOTHGRAD_FORMS,
  displayMap,
  isAttributionMethod,
  runAttribution,
} from '../../core/attribution';
import { classify } from '../../core/classify';
import { InvalidInputError } from '../../core/errors';
import { assertClassIndex, classLabel } from '../../core/labels';
import type { CropRect } from '../../core/preprocess';
import { COLORMAPS } from '../../core/render/colormap';
import { overlay } from '../../core/render/image';
import { writePng } from '../../node/image-io';
import { type CliCommand, type OptionValues, UsageError, choiceOption, numberOption, stringOption } from '../command';
import { FIT_OPTION, loadImage } from '../inputs';

interface ExplainResult {
  method: string;
  model: string;
  target: { index: number; label: string; probability: number } | { layer: string; channel: number; x?: number; y?: number };
  crop: CropRect;
  width: number;
  height: number;
  data: number[];
  ms: number;
  extras?: AttributionMap['extras'];
}

const METHOD_NAMES: readonly string[] = ATTRIBUTION_METHOD_NAMES;

function parseFill(values: OptionValues): Fill {
  const raw = stringOption(values, 'fill');
  if (raw === undefined) return 'gray';
  if (raw === 'gray' || raw === 'black' || raw === 'mean') return raw;
  const level = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(level) || level < 0 || level > 255) {
    throw new UsageError(`--fill must be gray, black, mean or a grey level 0..255, got '${raw}'`);
  }
  return level;
}

function parseNeuron(raw: string): { x: number; y: number } {
  const m = /^(\d+),(\d+)$/.exec(raw.trim());
  if (!m) throw new UsageError(`--neuron must be X,Y (two integers), got '${raw}'`);
  return { x: Number(m[1]), y: Number(m[2]) };
}

export const explain: CliCommand = {
  summary: `attribution map: which pixels matter (${METHOD_NAMES.join(', ')})`,
  usage:
    'IMAGE --method NAME [--target INDEX|top] [--target-layer NAME --channel C [--neuron X,Y]] [--out overlay.png] ' +
    `[--layer NAME (gradcam)] [--samples N (${SG.samples}) --noise S (σ as a fraction of the image's value range, ${SG.noise}) ` +
    `--form ${SMOOTHGRAD_FORMS.join('|')} (${SG.form})] [--steps N (${IG.steps})] [--patch P (${OCC.patch}) --stride S (${OCC.stride}) --fill F (${OCC.fill})] ` +
    `[--grid G (${SHAP.grid}) --permutations P (${SHAP.permutations})] [--seed S (0)]`,
  options: {
    method: { type: 'string' },
    target: { type: 'string' },
    'target-layer': { type: 'string' },
    channel: { type: 'string' },
    neuron: { type: 'string' },
    out: { type: 'string' },
    layer: { type: 'string' },
    samples: { type: 'string' },
    noise: { type: 'string' },
    form: { type: 'string' },
    steps: { type: 'string' },
    patch: { type: 'string' },
    stride: { type: 'string' },
    fill: { type: 'string' },
    grid: { type: 'string' },
    permutations: { type: 'string' },
    seed: { type: 'string' },
    colormap: { type: 'string' },
    alpha: { type: 'string' },
    ...FIT_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run(ctx): Promise<ExplainResult> {
    const v = ctx.values;
    const methodName = stringOption(v, 'method');
    if (methodName === undefined) throw new UsageError(`--method is required: one of ${METHOD_NAMES.join(', ')}`);
    if (!isAttributionMethod(methodName)) throw new UsageError(`unknown method '${methodName}': choose one of ${METHOD_NAMES.join(', ')}`);
    const rawTarget = stringOption(v, 'target') ?? 'top';
    const targetLayer = stringOption(v, 'target-layer');
    let classIndex: number | undefined;
    if (targetLayer === undefined && rawTarget !== 'top') {
      if (!/^\d+$/.test(rawTarget)) throw new UsageError(`--target must be a class index 0..999 or 'top', got '${rawTarget}'`);
      classIndex = Number(rawTarget);
      try {
        assertClassIndex(classIndex);
      } catch (err) {
        throw new InvalidInputError((err as Error).message);
      }
    }
    // Only the settings the user gave: every other one is the method's declared default (core attribution/defaults).
    const given = (name: string): boolean => stringOption(v, name) !== undefined;
    const options = {
      ...(given('samples') ? { samples: numberOption(v, 'samples', SG.samples, { min: 1, max: 1000, integer: true }) } : {}),
      ...(given('noise') ? { noise: numberOption(v, 'noise', SG.noise, { min: 0, max: 1 }) } : {}),
      ...(given('form') ? { form: choiceOption(v, 'form', SMOOTHGRAD_FORMS, SG.form) } : {}),
      ...(given('steps') ? { steps: numberOption(v, 'steps', IG.steps, { min: 1, max: 1000, integer: true }) } : {}),
      ...(given('patch') ? { patch: numberOption(v, 'patch', OCC.patch, { min: 1, max: 224, integer: true }) } : {}),
      ...(given('stride') ? { stride: numberOption(v, 'stride', OCC.stride, { min: 1, max: 224, integer: true }) } : {}),
      ...(given('fill') ? { fill: parseFill(v) } : {}),
      ...(given('grid') ? { grid: numberOption(v, 'grid', SHAP.grid, { min: 1, max: 16, integer: true }) } : {}),
      ...(given('permutations') ? { permutations: numberOption(v, 'permutations', SHAP.permutations, { min: 1, max: 1000, integer: true }) } : {}),
      ...(given('seed') ? { seed: numberOption(v, 'seed', 0, { integer: true }) } : {}),
      ...(given('layer') ? { layer: stringOption(v, 'layer') } : {}),
      signal: ctx.signal,
      onProgress: (done: number, total: number) => ctx.progress(`${methodName}: ${Math.round((100 * done) / total)}%`),
    };
    const colormap = choiceOption(v, 'colormap', COLORMAPS, 'inferno');
    const alpha = numberOption(v, 'alpha', 0.75, { min: 0, max: 1 });
    const img = loadImage(ctx, ctx.positionals[0]!);
    try {
      const net = await ctx.net();
      let target: AttributionTarget;
      let targetInfo: ExplainResult['target'];
      if (targetLayer !== undefined) {
        const channel = numberOption(v, 'channel', Number.NaN, { integer: true });
        if (Number.isNaN(channel)) throw new UsageError('--target-layer needs --channel C');
        const neuron = stringOption(v, 'neuron');
        target = neuron === undefined ? { kind: 'channel', layer: targetLayer, channel } : { kind: 'neuron', layer: targetLayer, channel, ...parseNeuron(neuron) };
        targetInfo = neuron === undefined ? { layer: targetLayer, channel } : { layer: targetLayer, channel, ...parseNeuron(neuron) };
      } else {
        const all = await classify(net, img.input, net.numClasses);
        const chosen = classIndex === undefined ? all[0]! : all.find((p) => p.index === classIndex)!;
        target = { kind: 'class', index: chosen.index };
        targetInfo = { index: chosen.index, label: classLabel(chosen.index), probability: chosen.probability };
      }
      const started = performance.now();
      const map = await runAttribution(methodName, net, { tensor: img.input, crop: img.crop }, { ...options, target });
      const ms = performance.now() - started;
      const out = stringOption(v, 'out');
      if (out) {
        const norm = displayMap(methodName, map.data);
        writePng(out, overlay(img.image, { width: map.width, height: map.height, data: norm }, { rect: map.crop, colormap, alpha }));
      }
      return {
        method: methodName,
        model: ctx.model,
        target: targetInfo,
        crop: map.crop,
        width: map.width,
        height: map.height,
        data: Array.from(map.data, (x) => Number(x.toPrecision(6))),
        ms: Math.round(ms),
        ...(map.extras ? { extras: map.extras } : {}),
      };
    } finally {
      img.input.dispose();
    }
  },
  text(result) {
    const r = result as ExplainResult;
    const t = 'label' in r.target ? `${r.target.label} (${r.target.index}, p=${r.target.probability.toFixed(3)})` : JSON.stringify(r.target);
    return `${r.method} for ${t}: ${r.width}×${r.height} map over crop ${JSON.stringify(r.crop)} in ${r.ms} ms`;
  },
};
