import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import type { ConvNet, ReluMode, Taps } from '../network';
import { throwIfAborted, untilAborted, yieldToEventLoop } from '../cancel';
import type { Objective } from './objectives';
import type { Parameterisation } from './parameterisations';
import type { Projection } from './projections';
import { createRng, normalTensor, type Rng } from './random';
import type { InputTransform, Regulariser } from './regularisers';
import type { StepRule } from './steps';

/**
 * The one input-optimisation loop. Class and feature visualisation, inversion, fooling images, DeepFool and
 * universal perturbations are all this loop with a different objective, regularisers, projections and step rule
 * (Lucid's objective × parameterisation × transforms; Simonyan's and Yosinski's regularised ascent; PGD).
 *
 * One step:
 *   input = clip(base + T(x)) (T: the regularisers' transforms, e.g. jitter), repeated `objective.copies` times;
 *   one net.gradient pass gives the objective and ∂/∂input; pulled back through the copies, the base batch and
 *   T, minus the penalties' gradient, it is the ascent gradient g on x;
 *   x ← P(R(x + Δ(g))) with Δ the step rule, R the regularisers' operators and P the projections.
 * With a parameterisation (Lucid's decorrelated Fourier space, parameterisations.ts) x is its variable v and the
 * image is toImage(v): transforms and penalties act on the image, and the image's ascent gradient is pulled back
 * through toImage before the step rule, operators and projections act on v.
 */

export type InitSpec = { kind: 'zeros' } | { kind: 'noise'; std: number };

/** What optimize() reports to onProgress after every step. */
export interface Progress {
  /** Steps done so far (1 after the first). */
  step: number;
  /** The run's step budget (OptimizeSpec.steps). */
  steps: number;
  /** Objective value at the start of the step just taken. */
  objective: number;
  /** The current image (borrowed: valid during the callback only; copy it to keep it). */
  image: tf.Tensor4D;
}

/**
 * Called after each step of optimize() with its Progress; the image in it is borrowed (valid during the call only).
 */
export type ProgressCallback = (progress: Progress) => void;

/** State handed to `stopWhen` before a step is applied. */
export interface StepState {
  /** Steps taken so far. */
  step: number;
  /**
   * The optimised variable before this step's update (borrowed): the image, [1 or N, 224, 224, 3] in model space,
   * or a parameterisation's variable.
   */
  x: tf.Tensor4D;
  /** The network input of this pass (after transforms, base and copies). */
  input: tf.Tensor4D;
  /** Objective value of this pass. */
  objective: number;
  /** Taps of this pass (borrowed). */
  taps: Taps;
}

/**
 * What optimize() runs: the objective to ascend, the variable's start, the step budget and rule, regularisers
 * (penalties, transforms, operators) and projections (e.g. the ε-ball and [−1, 1] box), optionally a fixed base image
 * to perturb; plus seed, ReLU rule, cancellation, progress and an early stop.
 */
export interface OptimizeSpec {
  /**
   * What is maximised (objectives.ts): a class logit, a channel's mean, a feature distance …, with the taps it needs
   * and its input copies.
   */
  objective: Objective;
  /**
   * Start image (copied, not consumed) or how to make one; its shape is x's shape. Default zeros. With a
   * parameterisation only zeros or noise, made in its variable's shape.
   */
  init?: tf.Tensor4D | InitSpec;
  /** Updates to apply, an integer ≥ 0 (InvalidInputError otherwise); 0 returns the projected start. */
  steps: number;
  /** How the gradient becomes an update (steps.ts): normalised ascent, signed steps, Adam or DeepFool's step. */
  stepRule: StepRule;
  /**
   * Penalties subtracted from the gradient (L2, total variation), transforms applied before each pass (jitter) and
   * operators applied after each update (decay, blur, small-pixel clipping); in order.
   */
  regularisers?: readonly Regulariser[];
  /**
   * Applied in order to the start and after every update, e.g. the L∞ or L2 ε-ball and the valid-pixel range [−1, 1].
   */
  projections?: readonly Projection[];
  /**
   * The variable x is not the image but the image's parameters, e.g. a decorrelated Fourier spectrum
   * (fourierParameterisation); default: x is the image (pixels). Progress images and the result are toImage(x).
   */
  parameterisation?: Parameterisation;
  /** Optimise a perturbation added to these images ([N, 224, 224, 3]); x is then [1, 224, 224, 3]. */
  base?: tf.Tensor4D;
  /**
   * Divide the objective's gradient by its mean |·| before the penalties are subtracted. Gradients of a logit and
   * of an early channel differ by orders of magnitude; normalised, one set of penalty weights serves every
   * objective (the visualisation presets use it).
   */
  normalizeGradient?: boolean;
  /**
   * Seed of every random choice of the run (noise start, jitter offsets): the same seed gives the same result
   * (default 0).
   */
  seed?: number;
  /** ReLU6 backward rule of the gradient pass (default 'plain'). */
  relu?: ReluMode;
  /** Checked before the run and between steps; an abort rejects with AbortError and frees the run's tensors. */
  signal?: AbortSignal;
  /** Called after every step. */
  onProgress?: ProgressCallback;
  /** Checked before each update with that pass's taps; true ends the run with x as it is (e.g. "fooled"). */
  stopWhen?: (state: StepState) => boolean | Promise<boolean>;
}

/**
 * What optimize() returns: the final variable (owned by the caller), the steps applied, the objective history and
 * whether stopWhen ended the run.
 */
export interface OptimizeResult {
  /** Final x (the caller disposes it). */
  image: tf.Tensor4D;
  /** Updates applied. */
  steps: number;
  /** Objective value at the start of each step (and at the stop, when `stopWhen` ended the run). */
  values: number[];
  /** True when `stopWhen` ended the run before the budget. */
  stopped: boolean;
}

function initialImage(net: ConvNet, init: OptimizeSpec['init'], rng: Rng, parameterisation?: Parameterisation): tf.Tensor4D {
  const shape: [number, number, number, number] = parameterisation ? parameterisation.variableShape(net.inputSize) : [1, net.inputSize, net.inputSize, 3];
  if (init instanceof tf.Tensor) {
    if (parameterisation) throw new InvalidInputError(`a start image cannot be given with the ${parameterisation.name} parameterisation`);
    if (init.rank !== 4 || init.shape[1] !== net.inputSize || init.shape[2] !== net.inputSize || init.shape[3] !== 3) {
      throw new InvalidInputError(`start image must be [N, ${net.inputSize}, ${net.inputSize}, 3], got [${init.shape.join(', ')}]`);
    }
    return tf.clone(init);
  }
  if (init === undefined || init.kind === 'zeros') return tf.zeros(shape);
  return normalTensor(rng, shape, init.std) as tf.Tensor4D;
}

interface Pass {
  value: tf.Scalar;
  input: tf.Tensor4D;
  inputGradient: tf.Tensor4D;
  gradient: tf.Tensor4D;
  taps: Taps;
}

function runPass(net: ConvNet, spec: OptimizeSpec, x: tf.Tensor4D, step: number, rng: Rng): Pass {
  const regs = spec.regularisers ?? [];
  const copies = spec.objective.copies ?? 1;
  // Random choices are drawn here, in a fixed order, so that the seed fixes them.
  const transforms: InputTransform[] = [];
  const image = spec.parameterisation ? spec.parameterisation.toImage(x) : x;
  let t = image;
  for (const r of regs) {
    if (!r.transform) continue;
    const tr = r.transform(t, { step, rng });
    transforms.push(tr);
    t = tr.input;
  }
  let input = spec.base ? (tf.clipByValue(tf.add(spec.base, t), -1, 1) as tf.Tensor4D) : t;
  const rows = input.shape[0];
  if (copies > 1) input = tf.tile(input, [copies, 1, 1, 1]);
  const { value, gradient: inputGradient, taps } = net.gradient(input, spec.objective.request, (tp) => spec.objective.value(tp), {
    relu: spec.relu ?? 'plain',
  });
  // Pull back: copies and base rows add up on x (the clip of base + x is passed straight through: saturated
  // pixels of one image must not block the gradient of the others).
  let g = inputGradient as tf.Tensor4D;
  if (copies > 1) g = tf.sum(tf.reshape(g, [copies, rows, ...g.shape.slice(1)]), 0) as tf.Tensor4D;
  if (g.shape[0] !== x.shape[0]) g = tf.sum(g, 0, true);
  for (let i = transforms.length - 1; i >= 0; i--) g = transforms[i]!.undo(g);
  if (spec.normalizeGradient) g = tf.div(g, tf.add(tf.mean(tf.abs(g)), 1e-12)) as tf.Tensor4D;
  const penalties = regs.filter((r) => r.penalty);
  if (penalties.length) {
    const pg = tf.grad((v: tf.Tensor) => tf.addN(penalties.map((r) => r.penalty!(v as tf.Tensor4D))) as tf.Scalar)(image);
    g = tf.sub(g, pg) as tf.Tensor4D;
  }
  if (spec.parameterisation) {
    // Pull the image's ascent gradient back onto the variable: toImage's vector–Jacobian product.
    const param = spec.parameterisation;
    const onImage = g;
    g = param.pullback ? param.pullback(image, onImage) : (tf.grad((v: tf.Tensor) => tf.sum(tf.mul(param.toImage(v as tf.Tensor4D), onImage)))(x) as tf.Tensor4D);
  }
  return { value, input, inputGradient: inputGradient as tf.Tensor4D, gradient: g, taps };
}

/**
 * Runs the input-optimisation loop described above for `spec.steps` updates (or until `stopWhen`): x starts from
 * `init` (projected), each step takes one net.gradient pass of the objective on clip(base + T(x)) ([N, 224, 224, 3],
 * model space [−1, 1]) and applies x ← P(R(x + Δ(g))). Follows Simonyan et al. 2014 / Yosinski et al. 2015
 * (regularised ascent), Madry et al. 2018 (projected steps) and Lucid's objective × transform design. Throws
 * InvalidInputError for a negative or fractional step count or a wrongly shaped start image; rejects with AbortError
 * on cancel. Every intermediate tensor is disposed; the result's image is the caller's.
 */
export async function optimize(net: ConvNet, spec: OptimizeSpec): Promise<OptimizeResult> {
  const { steps, signal } = spec;
  if (!Number.isInteger(steps) || steps < 0) throw new InvalidInputError(`steps must be a non-negative integer, got ${steps}`);
  throwIfAborted(signal);
  const rng = createRng(spec.seed ?? 0);
  const regs = spec.regularisers ?? [];
  const projections = spec.projections ?? [];
  const project = (y: tf.Tensor4D): tf.Tensor4D => projections.reduce((acc, p) => p.project(acc), y);
  const param = spec.parameterisation;
  let x = tf.tidy(() => project(initialImage(net, spec.init, rng, param)));
  const state = spec.stepRule.start();
  const values: number[] = [];
  let taken = 0;
  let stopped = false;
  try {
    for (let step = 0; step < steps; step++) {
      throwIfAborted(signal);
      const current = x;
      const pass = tf.tidy(() => runPass(net, spec, current, step, rng) as unknown as tf.TensorContainer) as unknown as Pass;
      let next: tf.Tensor4D | undefined;
      try {
        // A cancel that arrives while the GPU works on this step ends the wait at once.
        const objective = (await untilAborted(pass.value.data(), signal))[0]!;
        values.push(objective);
        throwIfAborted(signal);
        if (spec.stopWhen && (await spec.stopWhen({ step, x, input: pass.input, objective, taps: pass.taps }))) {
          stopped = true;
          break;
        }
        next = tf.tidy(() => {
          const ctx = { step, steps, x: current, gradient: pass.gradient, inputGradient: pass.inputGradient, taps: pass.taps };
          let y = tf.add(current, state.update(ctx)) as tf.Tensor4D;
          for (const r of regs) if (r.apply) y = r.apply(y, { step, steps, gradient: pass.gradient });
          return project(y);
        });
        x = next;
        current.dispose();
        taken++;
        if (spec.onProgress) {
          // With a parameterisation the image is made only if the callback reads it (a preview every few steps).
          let made: tf.Tensor4D | undefined;
          const variable = x;
          const progress: Progress = param
            ? Object.defineProperties({ step: taken, steps, objective } as Progress, {
                image: { enumerable: true, get: () => (made ??= param.toImage(variable)) },
              })
            : { step: taken, steps, objective, image: x };
          try {
            spec.onProgress(progress);
          } finally {
            made?.dispose();
          }
        }
      } finally {
        // pass.input is x itself when nothing transforms it; x lives on.
        const owned = pass.input === x ? { ...pass, input: undefined } : pass;
        tf.dispose(owned as unknown as tf.TensorContainer);
      }
      await yieldToEventLoop();
    }
  } catch (err) {
    x.dispose();
    throw err;
  } finally {
    state.dispose();
  }
  if (!param) return { image: x, steps: taken, values, stopped };
  const image = param.toImage(x);
  x.dispose();
  return { image, steps: taken, values, stopped };
}
