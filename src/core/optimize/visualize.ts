import * as tf from '@tensorflow/tfjs';
import type { ConvNet } from '../network';
import { type InitSpec, optimize, type OptimizeResult, type Progress, type ProgressCallback } from './engine';
import type { Target } from '../target';
import { classLogit, type Objective, objectiveFor } from './objectives';
import { argMax, probabilities, quantize, raiseContrast } from './pixels';
import { type Preset, type PresetName, preset as presetByName } from './presets';
import { pixelRange } from './projections';
import { DEFAULT_VISUALIZE_PRESET } from './defaults';

/** Options every mode shares. */
export interface RunOptions {
  /** Step budget (default: the preset's or the mode's). */
  steps?: number;
  /** Seed of every random choice (default 0): the same seed gives the same image. */
  seed?: number;
  /** Stops the run within one step with an AbortError. */
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/**
 * Options of visualizeClass, visualizeFeature and invertFeatures: the preset (regularisers, step rule, start, budget)
 * and the start image, plus RunOptions. An unknown preset name throws InvalidInputError.
 */
export interface VisualizeOptions extends RunOptions {
  /**
   * A preset name or a preset object (e.g. yosinskiPreset(1)); default 'l2' (visualizeClass:
   * DEFAULT_VISUALIZE_PRESET).
   */
  preset?: PresetName | Preset;
  /** Start from zeros (grey, as the lecture does) or faint noise; default: the preset's. */
  init?: 'zeros' | 'noise';
}

/**
 * What every visualisation mode returns: the 8-bit result image (owned by the caller), the preset used, steps taken
 * and the objective history.
 */
export interface VisualizationRun {
  /** The result rounded to 8-bit pixels, model space [1, 224, 224, 3] (the caller disposes it). */
  image: tf.Tensor4D;
  /** Name of the preset that ran. */
  preset: PresetName;
  /** Steps taken. */
  steps: number;
  /** Objective value at the start of each step. */
  values: number[];
  /** True when the preset raised the result's contrast for display (Preset.contrast); the image is the raised one. */
  contrastRaised: boolean;
}

function resolvePreset(p: VisualizeOptions['preset']): Preset {
  if (p === undefined) return presetByName('l2');
  return typeof p === 'string' ? presetByName(p) : p;
}

function initOf(p: Preset, init: VisualizeOptions['init']): InitSpec {
  if (init === 'zeros') return { kind: 'zeros' };
  if (init === 'noise') return p.init.kind === 'noise' ? p.init : { kind: 'noise', std: 0.02 };
  return p.init;
}

/** Runs an objective with a preset (the shared body of class / feature visualisation and inversion). */
export async function runPreset(net: ConvNet, objective: Objective, options: VisualizeOptions): Promise<VisualizationRun> {
  const p = resolvePreset(options.preset);
  const contrast = p.parameterisation ? p.contrast : undefined;
  // Previews get the same display contrast as the result (made only when the callback reads the image).
  const onProgress: ProgressCallback | undefined =
    contrast && options.onProgress
      ? (progress) => {
          let raised: tf.Tensor4D | undefined;
          const view = Object.defineProperties({ step: progress.step, steps: progress.steps, objective: progress.objective } as Progress, {
            image: { enumerable: true, get: () => (raised ??= raiseContrast(progress.image, contrast)) },
          });
          try {
            options.onProgress!(view);
          } finally {
            raised?.dispose();
          }
        }
      : options.onProgress;
  const result: OptimizeResult = await optimize(net, {
    objective,
    init: initOf(p, options.init),
    steps: options.steps ?? p.steps,
    stepRule: p.stepRule(),
    regularisers: p.regularisers(),
    ...(p.parameterisation ? { parameterisation: p.parameterisation(net.inputSize) } : { projections: [pixelRange()] }),
    normalizeGradient: true,
    seed: options.seed ?? 0,
    signal: options.signal,
    onProgress,
  });
  const raised = contrast ? raiseContrast(result.image, contrast) : result.image;
  const image = quantize(raised);
  tf.dispose([result.image, raised]);
  return { image, preset: p.name, steps: result.steps, values: result.values, contrastRaised: contrast !== undefined };
}

/**
 * Result of visualizeClass (Simonyan et al. 2014): the run plus the class and how the network now classifies the
 * result.
 */
export interface ClassVisualization extends VisualizationRun {
  /** The class visualised: ImageNet index 0–999 and its name. */
  class: { index: number; label: string };
  /** Probability of the class for the 8-bit result. */
  probability: number;
  /** Top-1 class of the result. */
  top: number;
}

/**
 * Class model visualisation (Simonyan et al. 2014): an image that maximises the class score S_c (the logit). The
 * preset defaults to DEFAULT_VISUALIZE_PRESET (Lucid's decorrelated Fourier parameterisation with transforms, Olah
 * et al. 2017), the recipe whose pictures the other network width recognises (bench/classvis.bench.ts).
 */
export async function visualizeClass(net: ConvNet, classIndex: number, options: VisualizeOptions = {}): Promise<ClassVisualization> {
  const run = await runPreset(net, classLogit(net, classIndex), { ...options, preset: options.preset ?? DEFAULT_VISUALIZE_PRESET });
  const [probs] = await probabilities(net, run.image);
  return { ...run, class: { index: classIndex, label: net.labels[classIndex] ?? '' }, probability: probs![classIndex]!, top: argMax(probs!) };
}

/** What feature visualisation drives: a channel's mean or one neuron (the core's one Target type). */
export type FeatureTarget = Extract<Target, { kind: 'channel' | 'neuron' }>;

/**
 * Result of visualizeFeature: the run, the unit driven, the layer the objective read, and the unit's activation on
 * the result compared with on a grey image.
 */
export interface FeatureVisualization extends VisualizationRun {
  /** The channel or neuron driven (layer, channel and, for a neuron, its y, x). */
  target: FeatureTarget;
  /** The layer the objective read: the pre-activation of a ReLU layer (see preActivationOf), else the layer. */
  objectiveLayer: string;
  /** Channel mean or unit value at the requested layer itself, on the 8-bit result and on the grey image. */
  activation: number;
  /** The same on the all-grey image (model-space zeros), for comparison. */
  startActivation: number;
}

/**
 * Intermediate-feature visualisation: an image that drives one channel (or one unit) of a layer. The ascent
 * drives the unit's pre-activation (it has a gradient even while the unit is off); the reported activation is
 * the layer's own output.
 */
export async function visualizeFeature(net: ConvNet, target: FeatureTarget, options: VisualizeOptions = {}): Promise<FeatureVisualization> {
  const build = (preActivation: boolean): Objective => objectiveFor(net, target, { preActivation });
  const objective = build(true);
  const measure = build(false);
  const run = await runPreset(net, objective, options);
  const grey = tf.zeros([1, net.inputSize, net.inputSize, 3]) as tf.Tensor4D;
  const startActivation = await evaluate(net, measure, grey);
  grey.dispose();
  return {
    ...run,
    target,
    objectiveLayer: objective.request.layers![0]!,
    activation: await evaluate(net, measure, run.image),
    startActivation,
  };
}

/** An objective's value on an image, by a plain forward pass. */
export async function evaluate(net: ConvNet, objective: Objective, image: tf.Tensor4D): Promise<number> {
  const value = tf.tidy(() => objective.value(net.run(image, objective.request)));
  const v = (await value.data())[0]!;
  value.dispose();
  return v;
}
