import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import type { Taps } from '../network';
import { marginsOf } from './objectives';

/** What a step rule sees: the current image and the gradients of one pass. */
export interface StepContext {
  step: number;
  steps: number;
  x: tf.Tensor4D;
  /** Ascent direction on x: ∂(objective − penalties)/∂x. */
  gradient: tf.Tensor4D;
  /** ∂objective/∂input for every row of the network's input batch (one row per copy, see Objective.copies). */
  inputGradient: tf.Tensor4D;
  taps: Taps;
}

/** Per-run optimiser state. `update` runs inside tf.tidy; state that must survive the step is tf.keep'ed. */
export interface StepRuleState {
  /** The update Δ of x ← x + Δ (broadcast to x's shape). */
  update(ctx: StepContext): tf.Tensor;
  dispose(): void;
}

/**
 * How the engine turns a gradient into an update (normalizedAscent, signAscent, adam, deepFoolStep): a name for logs
 * and start(), which makes fresh per-run state (Adam's moments) for one optimize() run.
 */
export interface StepRule {
  /** Shown in logs and results, e.g. 'normalised ascent lr=0.05'. */
  readonly name: string;
  start(): StepRuleState;
}

function checkRate(lr: number): void {
  if (!Number.isFinite(lr) || lr <= 0) throw new InvalidInputError(`step size must be > 0, got ${lr}`);
}

const stateless = (update: (ctx: StepContext) => tf.Tensor): StepRuleState => ({ update, dispose: () => undefined });

/**
 * Normalised gradient ascent: Δ = lr · g / rms(g), a step of lr model units in root-mean-square whatever the
 * gradient's scale (a logit's and an early channel's differ by orders of magnitude). The RMS, not the mean |g|:
 * a single unit's gradient covers only its receptive field, and dividing by a mean over mostly zeros would blow
 * the step up there by the inverse of that share instead of its square root.
 */
export function normalizedAscent(lr: number): StepRule {
  checkRate(lr);
  return {
    name: `normalised ascent lr=${lr}`,
    start: () => stateless(({ gradient }) => tf.mul(gradient, tf.div(lr, tf.add(tf.sqrt(tf.mean(tf.square(gradient))), 1e-12)))),
  };
}

/** Signed gradient ascent (FGSM / PGD steps): Δ = lr · sign(g), the steepest step for an L∞ budget. */
export function signAscent(lr: number): StepRule {
  checkRate(lr);
  return { name: `sign ascent lr=${lr}`, start: () => stateless(({ gradient }) => tf.mul(tf.sign(gradient), lr)) };
}

/** Adam (Kingma & Ba) on the ascent gradient. */
export function adam({ lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 }: { lr: number; beta1?: number; beta2?: number; epsilon?: number }): StepRule {
  checkRate(lr);
  return {
    name: `Adam lr=${lr}`,
    start: () => {
      let m: tf.Tensor | undefined;
      let v: tf.Tensor | undefined;
      let t = 0;
      return {
        update: ({ gradient }) => {
          t++;
          const m1 = tf.keep(tf.add(tf.mul(m ?? tf.zerosLike(gradient), beta1), tf.mul(gradient, 1 - beta1)));
          const v1 = tf.keep(tf.add(tf.mul(v ?? tf.zerosLike(gradient), beta2), tf.mul(tf.square(gradient), 1 - beta2)));
          tf.dispose([m, v].filter((s): s is tf.Tensor => s !== undefined));
          m = m1;
          v = v1;
          const mHat = tf.div(m1, 1 - beta1 ** t);
          const vHat = tf.div(v1, 1 - beta2 ** t);
          return tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr);
        },
        dispose: () => tf.dispose([m, v].filter((s): s is tf.Tensor => s !== undefined)),
      };
    },
  };
}

/**
 * DeepFool (Moosavi-Dezfooli et al. 2016) as a step rule. With the `logitMargins` objective each input row b holds
 * w_b = ∇(f_{k_b} − f_orig) and the taps hold f_{k_b} − f_orig; the step goes to the nearest linearised class
 * boundary: l = argmin_b |f'_b| / ‖w_b‖, r = (|f'_l| + 1e-4) / ‖w_l‖² · w_l, scaled by (1 + overshoot).
 */
export function deepFoolStep({ original, candidates, overshoot = 0.02 }: { original: number; candidates: readonly number[]; overshoot?: number }): StepRule {
  if (!Number.isFinite(overshoot) || overshoot < 0) throw new InvalidInputError(`overshoot must be ≥ 0, got ${overshoot}`);
  return {
    name: `DeepFool overshoot=${overshoot}`,
    start: () =>
      stateless(({ inputGradient, taps }) => {
        const f = tf.abs(marginsOf(taps.logits!, original, candidates));
        const w = inputGradient;
        const norms = tf.sqrt(tf.sum(tf.square(w), [1, 2, 3]));
        const l = tf.argMin(tf.div(f, tf.add(norms, 1e-8)));
        const wl = tf.gather(w, tf.reshape(l, [1]));
        const fl = tf.gather(f, l);
        const nl = tf.gather(norms, l);
        const scale = tf.div(tf.add(fl, 1e-4), tf.add(tf.square(nl), 1e-12));
        return tf.mul(wl, tf.mul(scale, 1 + overshoot));
      }),
  };
}
