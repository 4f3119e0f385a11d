import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import type { ConvNet } from '../network';
import { optimize } from './engine';
import { crossEntropy, logitMargins } from './objectives';
import { argMax } from './pixels';
import { checkEpsilon } from './projections';
import { deepFoolStep, signAscent } from './steps';
import { pixelsToModel } from './units';

/**
 * Attacks that find a small perturbation moving one image out of its class. Universal perturbations take one as
 * their inner step (pluggable, as in ART); both run on the engine with the image as a fixed base and the
 * perturbation as the optimised variable.
 */
export interface AttackResult {
  /** Δ in model space, [1, 224, 224, 3] (the caller disposes it); x + Δ is meant to leave class `label`. */
  perturbation: tf.Tensor4D;
  /** The class changed within the budget. */
  converged: boolean;
  iterations: number;
}

export interface InnerAttack {
  readonly name: string;
  /** Perturbation that moves `x` ([1, 224, 224, 3]) out of class `label`. */
  run(net: ConvNet, x: tf.Tensor4D, label: number, options?: { signal?: AbortSignal }): Promise<AttackResult>;
}

export interface DeepFoolOptions {
  /** Classes considered: the top `candidates` of x, its own included (the paper uses 10). */
  candidates?: number;
  /** Each step is lengthened by this share to land just past the boundary (paper: 0.02). */
  overshoot?: number;
  /** Iteration cap (the UAP paper's code uses 10). */
  maxIterations?: number;
}

export { DEEPFOOL_DEFAULTS } from './defaults';
import { DEEPFOOL_DEFAULTS } from './defaults';

/**
 * DeepFool (Moosavi-Dezfooli et al. 2016): repeatedly linearise the classifier around the current image and step
 * to the nearest class boundary among the candidate classes, until the class changes. All candidates' gradients
 * come from one batched pass (objective `logitMargins`, one input copy per candidate).
 */
export function deepFoolAttack(options: DeepFoolOptions = {}): InnerAttack {
  const { candidates, overshoot, maxIterations } = { ...DEEPFOOL_DEFAULTS, ...options };
  if (!Number.isInteger(candidates) || candidates < 2) throw new InvalidInputError(`DeepFool needs at least 2 candidate classes, got ${candidates}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new InvalidInputError(`DeepFool iterations must be ≥ 1, got ${maxIterations}`);
  return {
    name: 'deepfool',
    async run(net, x, label, { signal } = {}) {
      const taps = net.run(x, { logits: true });
      const logits = await taps.logits!.data();
      taps.logits!.dispose();
      const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!);
      const others = order.filter((k) => k !== label).slice(0, candidates - 1);
      const result = await optimize(net, {
        objective: logitMargins(net, label, others),
        init: { kind: 'zeros' },
        base: x,
        steps: maxIterations,
        stepRule: deepFoolStep({ original: label, candidates: others, overshoot }),
        signal,
        stopWhen: async ({ taps: t }) => argMax(await firstRow(t.logits!)) !== label,
      });
      return { perturbation: result.image, converged: result.stopped, iterations: result.steps };
    },
  };
}

export interface GradientAttackOptions {
  /** Signed-gradient step in pixel levels (default 1). */
  stepSize?: number;
  maxSteps?: number;
}

/**
 * Untargeted iterative gradient attack (BIM): signed steps on −log p(label) until the class changes. Cheaper per
 * step than DeepFool (one copy instead of one per candidate), less minimal.
 */
export function gradientAttack({ stepSize = 1, maxSteps = 10 }: GradientAttackOptions = {}): InnerAttack {
  checkEpsilon(stepSize, 'step size');
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new InvalidInputError(`attack steps must be ≥ 1, got ${maxSteps}`);
  return {
    name: 'gradient',
    async run(net, x, label, { signal } = {}) {
      const result = await optimize(net, {
        objective: crossEntropy(net, label, 'away'),
        init: { kind: 'zeros' },
        base: x,
        steps: maxSteps,
        stepRule: signAscent(pixelsToModel(stepSize)),
        signal,
        stopWhen: async ({ taps: t }) => argMax(await firstRow(t.logits!)) !== label,
      });
      return { perturbation: result.image, converged: result.stopped, iterations: result.steps };
    },
  };
}

async function firstRow(logits: tf.Tensor2D): Promise<Float32Array> {
  const data = (await logits.data()) as Float32Array;
  return data.subarray(0, logits.shape[1]);
}
