import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../core/errors';
import type { ModelId } from '../../core/models';
import { type FoolingRate, type UapFile, foolingRate, uapFromFile } from '../../core/optimize/uap';
import { type CliCommand, requireString } from '../command';
import { FIT_OPTION, loadImageDir } from '../shared/inputs';

/** The core's FoolingRate without the per-image flags, and the perturbation file's model and eps. */
export interface UapEvalResult extends Omit<FoolingRate, 'changed'>, Pick<UapFile, 'eps'> {
  model: ModelId | string;
  /** The model the perturbation was made on (it may be evaluated on another: transfer). */
  trainedOn?: UapFile['model'];
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidInputError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidInputError(`${path} is not JSON`);
  }
}

export const uapEval: CliCommand<UapEvalResult> = {
  summary: 'fooling rate of a universal perturbation (from uap) on a folder of images',
  usage: '--perturbation uap.json --images DIR [--fit stretch|center-crop]',
  options: { perturbation: { type: 'string' }, images: { type: 'string' }, ...FIT_OPTION },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const path = requireString(ctx.values, 'perturbation');
    const dir = requireString(ctx.values, 'images');
    const net = await ctx.net();
    const { perturbation, file } = uapFromFile(readJson(path), net.inputSize);
    try {
      const { inputs } = await loadImageDir(ctx, 'uap-eval', dir);
      try {
        const r = await foolingRate(net, inputs, perturbation);
        return { model: ctx.model, foolingRate: r.foolingRate, n: r.n, trainedOn: file.model, eps: file.eps };
      } finally {
        inputs.forEach((t) => t.dispose());
      }
    } finally {
      perturbation.dispose();
    }
  },
  text(r) {
    return `fooling rate ${(r.foolingRate * 100).toFixed(1)}% on ${r.n} images`;
  },
};
