import type * as tf from '@tensorflow/tfjs';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InvalidInputError } from '../../core/errors';
import { DEEPFOOL_DEFAULTS, type InnerAttack, deepFoolAttack, gradientAttack } from '../../core/optimize/attacks';
import { perturbationImage } from '../../core/optimize/pixels';
import { checkEpsilon } from '../../core/optimize/projections';
import { UAP_DEFAULTS, uapToFile, universalPerturbation } from '../../core/optimize/uap';
import { type FitMode, imageToModelInput } from '../../core/preprocess';
import { readImage, writePng } from '../../node/image-io';
import { type CliCommand, type CliContext, choiceOption, numberOption, requireString, stringOption } from '../command';
import { FIT_OPTION } from '../inputs';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/**
 * Model inputs for every PNG/JPEG file directly in `dir` (sorted by name). Files that fail to decode are skipped
 * with a line on stderr; no readable image at all is an error. Other files (a README, a licence) are ignored.
 */
export function loadImageDir(ctx: CliContext, command: string, dir: string): { inputs: tf.Tensor4D[]; files: string[] } {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new InvalidInputError(`${dir} is not a directory`);
    names = readdirSync(dir).sort();
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidInputError(code === 'ENOENT' ? `no such directory: ${dir}` : `cannot read directory ${dir}: ${code ?? (err as Error).message}`);
  }
  const fit = choiceOption<FitMode>(ctx.values, 'fit', ['stretch', 'center-crop'], 'stretch');
  const inputs: tf.Tensor4D[] = [];
  const files: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) continue;
    try {
      if (!statSync(path).isFile()) continue;
      inputs.push(imageToModelInput(readImage(path), fit).tensor);
      files.push(path);
    } catch (err) {
      console.error(`convlens ${command}: skipping ${path}: ${(err as Error).message}`);
    }
  }
  if (inputs.length === 0) throw new InvalidInputError(`no readable PNG or JPEG images in ${dir}`);
  return { inputs, files };
}

export const ATTACKS = ['deepfool', 'gradient'] as const;

interface UapCliResult {
  model: string;
  foolingRate: number;
  passes: number;
  images: number;
  eps: number;
  attack: string;
  ms: number;
  out: string;
  outPng?: string;
}

export const uap: CliCommand = {
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
  async run(ctx): Promise<UapCliResult> {
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
    const { inputs } = loadImageDir(ctx, 'uap', dir);
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
  text(result) {
    const r = result as UapCliResult;
    return `fooling rate ${(r.foolingRate * 100).toFixed(1)}% on ${r.images} images after ${r.passes} passes (${r.attack}, ε ${r.eps}, ${r.ms} ms) → ${r.out}`;
  },
};
