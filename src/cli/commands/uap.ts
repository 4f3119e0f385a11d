import { writeFileSync } from 'node:fs';
import { InvalidInputError } from '../../core/errors';
import { DEEPFOOL_DEFAULTS, type InnerAttack, deepFoolAttack, gradientAttack } from '../../core/optimize/attacks';
import { UAP_HELD_OUT_SHARE, UAP_SGD_DEFAULTS } from '../../core/optimize/defaults';
import { perturbationImage } from '../../core/optimize/pixels';
import { checkEpsilon } from '../../core/optimize/projections';
import type { ModelId } from '../../core/models';
import { UAP_DEFAULTS, uapToFile } from '../../core/optimize/uap';
import { heldOutUniversalPerturbation } from '../../core/optimize/uap-sgd';
import { writePng } from '../../node/image-io';
import { type CliCommand, choiceOption, numberOption, requireString, stringOption } from '../command';
import { FIT_OPTION, loadImageDir } from '../shared/inputs';

export const ATTACKS = ['deepfool', 'gradient'] as const;
export const UAP_METHODS = ['sgd', 'moosavi'] as const;

/**
 * What `uap` reports: the fooling rate on the training pictures and on the held-out ones (null when none was held
 * out), their counts, the method and its budget, where the file went.
 */
export interface UapCliResult {
  model: ModelId | string;
  method: (typeof UAP_METHODS)[number];
  attack: string;
  eps: number;
  /** Fooling rate on the training pictures, in [0, 1]. */
  foolingRate: number;
  /** Fooling rate on the held-out pictures, in [0, 1]; null when none was held out. */
  heldOutRate: number | null;
  /** Training pictures. */
  images: number;
  /** Held-out pictures. */
  heldOutImages: number;
  /** Gradient steps (sgd) or passes (moosavi). */
  steps: number;
  /** Views seen in training: augmented views (sgd), picture visits (moosavi). */
  views: number;
  ms: number;
  out: string;
  outPng?: string;
}

export const uap: CliCommand<UapCliResult> = {
  summary: 'universal adversarial perturbation: one small pattern that changes the class of most pictures, also ones held out of training',
  usage:
    '--train DIR --out uap.json [--eps E] [--held-out SHARE] [--method sgd|moosavi] [--steps N] [--batch B] ' +
    '[--attack deepfool|gradient] [--max-passes P] [--target-rate R] [--candidates K] [--seed S] [--out-png uap.png] [--fit stretch|center-crop]',
  options: {
    train: { type: 'string' },
    eps: { type: 'string' },
    'held-out': { type: 'string' },
    method: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    'max-passes': { type: 'string' },
    'target-rate': { type: 'string' },
    attack: { type: 'string' },
    candidates: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'out-png': { type: 'string' },
    ...FIT_OPTION,
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const dir = requireString(ctx.values, 'train');
    const out = requireString(ctx.values, 'out');
    const outPng = stringOption(ctx.values, 'out-png');
    const eps = numberOption(ctx.values, 'eps', UAP_DEFAULTS.eps);
    checkEpsilon(eps); // before the images are read: a typo should not cost a folder's decoding
    const heldOutShare = numberOption(ctx.values, 'held-out', UAP_HELD_OUT_SHARE, { min: 0, max: 0.9 });
    // --attack alone asks for Moosavi-Dezfooli's algorithm, as before the stochastic method existed.
    const method = choiceOption(ctx.values, 'method', UAP_METHODS, ctx.values['attack'] !== undefined ? 'moosavi' : 'sgd');
    const steps = numberOption(ctx.values, 'steps', UAP_SGD_DEFAULTS.steps, { min: 1, max: 100000, integer: true });
    const batchSize = numberOption(ctx.values, 'batch', UAP_SGD_DEFAULTS.batchSize, { min: 1, max: 256, integer: true });
    const maxPasses = numberOption(ctx.values, 'max-passes', UAP_DEFAULTS.maxPasses, { min: 1, max: 1000, integer: true });
    const targetRate = numberOption(ctx.values, 'target-rate', UAP_DEFAULTS.targetRate, { min: 0, max: 1 });
    const seed = numberOption(ctx.values, 'seed', 0, { min: 0, max: 2 ** 32 - 1, integer: true });
    const attackName = choiceOption(ctx.values, 'attack', ATTACKS, 'deepfool');
    const candidates = numberOption(ctx.values, 'candidates', DEEPFOOL_DEFAULTS.candidates, { min: 2, max: 1000, integer: true });
    const attack: InnerAttack = attackName === 'deepfool' ? deepFoolAttack({ candidates }) : gradientAttack();
    const { inputs, files } = await loadImageDir(ctx, 'uap', dir);
    try {
      const net = await ctx.net();
      const t0 = performance.now();
      const r = await heldOutUniversalPerturbation(net, inputs.map((input, i) => ({ name: files[i]!, input })), {
        method,
        eps,
        steps,
        batchSize,
        maxPasses,
        targetRate,
        attack,
        seed,
        heldOutShare,
        signal: ctx.signal,
        onProgress: ({ step, steps: total }) => ctx.progress(`step ${step}/${total}`),
      });
      try {
        const ms = Math.round(performance.now() - t0);
        const heldOutRate = Number.isNaN(r.heldOutRate) ? null : r.heldOutRate;
        const file = await uapToFile(
          { perturbation: r.perturbation, foolingRate: r.foolingRate, passes: r.steps, images: r.train.length, eps, attack: r.attack },
          { model: ctx.model, seed, ...(heldOutRate === null ? {} : { heldOutRate, heldOutImages: r.heldOut.length }) },
        );
        try {
          writeFileSync(out, `${JSON.stringify(method === 'sgd' ? { ...file, views: r.views } : file)}\n`);
        } catch (err) {
          throw new InvalidInputError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        if (outPng) writePng(outPng, await perturbationImage(r.perturbation));
        return {
          model: ctx.model, method, attack: r.attack, eps, foolingRate: r.foolingRate, heldOutRate, images: r.train.length, heldOutImages: r.heldOut.length,
          steps: r.steps, views: r.views, ms, out, ...(outPng ? { outPng } : {}),
        };
      } finally {
        r.perturbation.dispose();
      }
    } finally {
      inputs.forEach((t) => t.dispose());
    }
  },
  text(r) {
    const held = r.heldOutRate === null ? 'none held out' : `${(r.heldOutRate * 100).toFixed(1)}% on ${r.heldOutImages} held-out images`;
    return `fooling rate ${(r.foolingRate * 100).toFixed(1)}% on ${r.images} training images, ${held} (${r.method}${r.method === 'moosavi' ? `+${r.attack}` : ''}, ε ${r.eps}, ${r.steps} ${r.method === 'sgd' ? 'steps' : 'passes'}, ${r.ms} ms) → ${r.out}`;
  },
};
