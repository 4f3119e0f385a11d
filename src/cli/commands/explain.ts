import {
  ATTRIBUTION_METHOD_NAMES,
  type AttributionMap,
  type AttributionTarget,
  type Fill,
  INTEGRATED_GRADIENTS_DEFAULTS as IG,
  LIME_DEFAULTS as LIME,
  type LimeSuperpixel,
  compositeOver,
  limeLayer,
  readLime,
  OCCLUSION_DEFAULTS as OCC,
  SHAPLEY_DEFAULTS as SHAP,
  SMOOTHGRAD_DEFAULTS as SG,
  SMOOTHGRAD_FORMS,
  displayMap,
  runAttribution,
  topSuperpixels,
} from '../../core/attribution';
import { type Prediction, classify } from '../../core/classify';
import { checkLayerFor } from '../../core/layer-uses';
import { LIME_JOB, OCCLUSION_JOB, SHAPLEY_JOB } from '../../core/attribution/defaults';
import type { ModelId } from '../../core/models';
import { COLORMAPS } from '../../core/render/colormap';
import { overlay, upscale } from '../../core/render/image';
import { modelInputToImage } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, type OptionValues, UsageError, choiceOption, numberOption, stringOption } from '../command';
import { FIT_OPTION, loadImage } from '../shared/inputs';
import { classIndexOption, methodOption, parseNeuron } from '../shared/target';

/** A layer target as the JSON reports it: the core's channel or neuron target without its `kind`. */
type LayerTarget = Omit<Extract<AttributionTarget, { kind: 'channel' }>, 'kind'> & Partial<Pick<Extract<AttributionTarget, { kind: 'neuron' }>, 'x' | 'y'>>;

/**
 * The core's AttributionMap as JSON: `data` as plain numbers (6 significant digits), the crop in the displayed
 * picture's pixels, `extras` as the method reports them (e.g. Integrated Gradients' completeness gap).
 */
export interface ExplainResult extends Pick<AttributionMap, 'width' | 'height' | 'crop' | 'extras'> {
  method: string;
  model: ModelId | string;
  /** A class target is reported with its label and probability (core Prediction). */
  target: Prediction | LayerTarget;
  data: number[];
  ms: number;
  /** LIME only: held-out R² of its linear model and the top superpixels by |weight| (largest first). */
  lime?: { r2: number; superpixels: number; top: LimeSuperpixel[] };
}

const METHOD_NAMES: readonly string[] = ATTRIBUTION_METHOD_NAMES;

function parseFill(values: OptionValues): Fill {
  const raw = stringOption(values, 'fill');
  if (raw === undefined) return OCC.fill;
  if (raw === 'gray' || raw === 'black' || raw === 'mean') return raw;
  const level = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(level) || level < 0 || level > 255) {
    throw new UsageError(`--fill must be gray, black, mean or a grey level 0..255, got '${raw}'`);
  }
  return level;
}

/** One line on stderr when Integrated Gradients' completeness gap stays over its tolerance (JSON keeps stdout). */
function completenessNote(map: AttributionMap, stepsGiven: boolean): string | undefined {
  const gap = map.extras?.['relativeGap'];
  const tolerance = map.extras?.['tolerance'];
  const steps = map.extras?.['steps'];
  if (typeof gap !== 'number' || typeof tolerance !== 'number' || gap <= tolerance) return undefined;
  const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
  const advice = stepsGiven ? 'more --steps (or no --steps: adaptive) close it' : 'the adaptive steps stopped at their cap';
  return `note: the attributions miss completeness by ${pct(gap)} of F(x) − F(x′) at ${steps} steps (tolerance ${pct(tolerance)}); ${advice}`;
}

export const explain: CliCommand<ExplainResult> = {
  summary: `attribution map: which pixels matter (${METHOD_NAMES.join(', ')})`,
  usage:
    'IMAGE --method NAME [--target INDEX|top] [--target-layer NAME --channel C [--neuron X,Y]] [--out overlay.png] ' +
    `[--layer NAME (gradcam)] [--samples N (${SG.samples}) --noise S (σ as a fraction of the image's value range, ${SG.noise}) ` +
    `--form ${SMOOTHGRAD_FORMS.join('|')} (${SG.form})] [--steps N (adaptive: ${IG.startSteps}…${IG.maxSteps} until the completeness gap ≤ ${IG.tolerance * 100} %)] ` +
    `[--patch P (${OCC.patch}) --stride S (${OCC.stride}) --fill F (${OCC.fill})] [--grid G (${SHAP.grid}) --permutations P (${SHAP.permutations})] [--seed S (0)] ` +
    `[--more-detail (the app's "more detail": occlusion patch ${OCCLUSION_JOB.detail.patch} stride ${OCCLUSION_JOB.detail.stride}, Shapley grid ${SHAPLEY_JOB.detail.grid} × ${SHAPLEY_JOB.detail.permutations} permutations, LIME ${LIME.samples} samples; given flags win)]`,
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
    superpixels: { type: 'string' },
    top: { type: 'string' },
    colormap: { type: 'string' },
    alpha: { type: 'string' },
    'more-detail': { type: 'boolean' },
    ...FIT_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const v = ctx.values;
    const methodName = methodOption(v);
    const targetLayer = stringOption(v, 'target-layer');
    const classTarget = targetLayer === undefined ? (classIndexOption(v, 'target', { allowTop: true }) ?? 'top') : 'top';
    const layer = stringOption(v, 'layer');
    if (layer !== undefined && methodName !== 'gradcam') throw new UsageError(`--layer is Grad-CAM's feature layer; for a channel or neuron target of '${methodName}' use --target-layer`);
    const stepsGiven = stringOption(v, 'steps') !== undefined;
    // Only the settings the user gave: every other one is the method's declared default (core attribution/defaults).
    // Integrated Gradients: --steps fixes the steps; without it they adapt to the completeness tolerance.
    const given = (name: string): boolean => stringOption(v, name) !== undefined;
    // --more-detail: the app's "more detail" presets of the jobs (core attribution/defaults: *_JOB.detail) as the base.
    const detail = v['more-detail'] === true ? (methodName === 'occlusion' ? OCCLUSION_JOB.detail : methodName === 'shapley' ? SHAPLEY_JOB.detail : methodName === 'lime' ? LIME_JOB.detail : {}) : {};
    const options = {
      ...detail,
      ...(given('samples') ? { samples: numberOption(v, 'samples', SG.samples, { min: 1, max: methodName === 'lime' ? 20000 : 1000, integer: true }) } : {}),
      ...(given('superpixels') ? { superpixels: numberOption(v, 'superpixels', LIME.superpixels, { min: 2, max: 1000, integer: true }) } : {}),
      ...(given('noise') ? { noise: numberOption(v, 'noise', SG.noise, { min: 0, max: 1 }) } : {}),
      ...(given('form') ? { form: choiceOption(v, 'form', SMOOTHGRAD_FORMS, SG.form) } : {}),
      ...(stepsGiven ? { steps: numberOption(v, 'steps', IG.startSteps, { min: 1, max: 1000, integer: true }) } : {}),
      ...(given('patch') ? { patch: numberOption(v, 'patch', OCC.patch, { min: 1, max: 224, integer: true }) } : {}),
      ...(given('stride') ? { stride: numberOption(v, 'stride', OCC.stride, { min: 1, max: 224, integer: true }) } : {}),
      ...(given('fill') ? { fill: parseFill(v) } : {}),
      ...(given('grid') ? { grid: numberOption(v, 'grid', SHAP.grid, { min: 1, max: 16, integer: true }) } : {}),
      ...(given('permutations') ? { permutations: numberOption(v, 'permutations', SHAP.permutations, { min: 1, max: 1000, integer: true }) } : {}),
      ...(given('seed') ? { seed: numberOption(v, 'seed', 0, { min: 0, integer: true }) } : {}),
      ...(layer !== undefined ? { layer } : {}),
      signal: ctx.signal,
      onProgress: (done: number, total: number) => ctx.progress(`${methodName}: ${Math.round((100 * done) / total)}%`),
    };
    const colormap = choiceOption(v, 'colormap', COLORMAPS, 'inferno');
    const alpha = numberOption(v, 'alpha', 0.75, { min: 0, max: 1 });
    const net = await ctx.net();
    let target: AttributionTarget | undefined;
    let targetInfo: LayerTarget | undefined;
    if (targetLayer !== undefined) {
      const channel = numberOption(v, 'channel', Number.NaN, { integer: true });
      if (Number.isNaN(channel)) throw new UsageError('--target-layer needs --channel C');
      const neuronRaw = stringOption(v, 'neuron');
      const neuron = neuronRaw === undefined ? undefined : parseNeuron(neuronRaw);
      checkLayerFor(net, targetLayer, neuron ? 'target-neuron' : 'target-channel');
      target = neuron ? { kind: 'neuron', layer: targetLayer, channel, ...neuron } : { kind: 'channel', layer: targetLayer, channel };
      targetInfo = { layer: targetLayer, channel, ...neuron };
    }
    if (methodName === 'gradcam' && layer !== undefined) checkLayerFor(net, layer, 'gradcam');
    const img = await loadImage(ctx, ctx.positionals[0]!);
    try {
      let reported: Prediction | LayerTarget;
      if (target === undefined || targetInfo === undefined) {
        const all = await classify(net, img.input, net.numClasses);
        const chosen = classTarget === 'top' ? all[0]! : all.find((p) => p.index === classTarget)!;
        target = { kind: 'class', index: chosen.index };
        reported = chosen;
      } else {
        reported = targetInfo;
      }
      const started = performance.now();
      const map = await runAttribution(methodName, net, { tensor: img.input, crop: img.crop }, { ...options, target });
      const ms = performance.now() - started;
      const note = completenessNote(map, stepsGiven);
      if (note) console.error(`convlens explain: ${note}`);
      const out = stringOption(v, 'out');
      const lime = readLime(map.extras);
      const topK = numberOption(v, 'top', LIME.topK, { min: 1, max: 1000, integer: true });
      if (out && lime) {
        // The model's view with the top superpixels outlined (green: for the class, pink: against), ×2.
        const view = await modelInputToImage(img.input);
        writePng(out, upscale(compositeOver(view, limeLayer(lime, map.width, map.height, topK)), 2));
      } else if (out) {
        const norm = displayMap(methodName, map.data);
        writePng(out, overlay(img.image, { width: map.width, height: map.height, data: norm }, { rect: img.imageCrop, colormap, alpha }));
      }
      return {
        method: methodName,
        model: ctx.model,
        target: reported,
        crop: map.crop,
        width: map.width,
        height: map.height,
        data: Array.from(map.data, (x) => Number(x.toPrecision(6))),
        ms: Math.round(ms),
        ...(map.extras ? { extras: map.extras } : {}),
        ...(lime ? { lime: { r2: lime.r2, superpixels: lime.weights.length, top: topSuperpixels(lime, map.width, topK) } } : {}),
      };
    } finally {
      img.input.dispose();
    }
  },
  text(r) {
    const t = 'label' in r.target ? `${r.target.label} (${r.target.index}, p=${r.target.probability.toFixed(3)})` : JSON.stringify(r.target);
    const head = `${r.method} for ${t}: ${r.width}×${r.height} map over crop ${JSON.stringify(r.crop)} in ${r.ms} ms`;
    if (!r.lime) return head;
    const rows = r.lime.top.map((s) => `  superpixel ${s.index}: weight ${s.weight >= 0 ? '+' : ''}${s.weight.toFixed(3)} (${s.pixels} px, box ${s.box.x},${s.box.y} ${s.box.width}×${s.box.height})`);
    return [`${head}; linear model held-out R² ${r.lime.r2.toFixed(3)} over ${r.lime.superpixels} superpixels`, ...rows].join('\n');
  },
};
