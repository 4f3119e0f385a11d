import { writeFileSync } from 'node:fs';
import { InvalidInputError } from '../../core/errors';
import { DEEPFOOL_DEFAULTS, type InnerAttack, deepFoolAttack, gradientAttack } from '../../core/optimize/attacks';
import { perturbationImage } from '../../core/optimize/pixels';
import { checkEpsilon } from '../../core/optimize/projections';
import type { ModelId } from '../../core/models';
import { UAP_DEFAULTS, type UapResult, uapToFile, universalPerturbation } from '../../core/optimize/uap';
import { writePng } from '../../node/image-io';
import { type CliCommand, choiceOption, numberOption, requireString, stringOption } from '../command';
import { FIT_OPTION, loadImageDir } from '../shared/inputs';

export const ATTACKS = ['deepfool', 'gradient'] as const;

/** The core's UapResult without the perturbation tensor, plus where it was written. */
export interface UapCliResult extends Omit<UapResult, 'perturbation'> {
  model: ModelId | string;
  ms: number;
  out: string;
  outPng?: string;
}

export const uap: CliCommand<UapCliResult> = {
  summary: 'universal adversarial perturbation: one small pattern that changes the class of most training images',
  usage:
    '--train DIR --out uap.json [--eps E] [--max-passes P] [--target-rate R] [--attack deepfool|gradient] ' +
    '[--candidates K] [--seed S] [--out-png uap.png] [--fit stretch|center-crop]',
  options: {
    train: { type: 'string' },
    eps: { type: 'string' },
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
    const maxPasses = numberOption(ctx.values, 'max-passes', UAP_DEFAULTS.maxPasses, { min: 1, max: 1000, integer: true });
    const targetRate = numberOption(ctx.values, 'target-rate', UAP_DEFAULTS.targetRate, { min: 0, max: 1 });
    const seed = numberOption(ctx.values, 'seed', 0, { min: 0, max: 2 ** 32 - 1, integer: true });
    const attackName = choiceOption(ctx.values, 'attack', ATTACKS, 'deepfool');
    const candidates = numberOption(ctx.values, 'candidates', DEEPFOOL_DEFAULTS.candidates, { min: 2, max: 1000, integer: true });
    const attack: InnerAttack = attackName === 'deepfool' ? deepFoolAttack({ candidates }) : gradientAttack();
    const { inputs } = await loadImageDir(ctx, 'uap', dir);
    try {
      const net = await ctx.net();
      const t0 = performance.now();
      const r = await universalPerturbation(net, inputs, {
        eps,
        maxPasses,
        targetRate,
        attack,
        seed,
        signal: ctx.signal,
        onProgress: ({ step, steps, objective }) => ctx.progress(`image ${step}/${steps}  fooling rate ${(objective * 100).toFixed(0)}%`),
      });
      try {
        const ms = Math.round(performance.now() - t0);
        const file = await uapToFile(r, { model: ctx.model, seed });
        try {
          writeFileSync(out, `${JSON.stringify(file)}\n`);
        } catch (err) {
          throw new InvalidInputError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        if (outPng) writePng(outPng, await perturbationImage(r.perturbation));
        return { model: ctx.model, foolingRate: r.foolingRate, passes: r.passes, images: r.images, eps, attack: r.attack, ms, out, outPng };
      } finally {
        r.perturbation.dispose();
      }
    } finally {
      inputs.forEach((t) => t.dispose());
    }
  },
  text(r) {
    return `fooling rate ${(r.foolingRate * 100).toFixed(1)}% on ${r.images} images after ${r.passes} passes (${r.attack}, ε ${r.eps}, ${r.ms} ms) → ${r.out}`;
  },
};
