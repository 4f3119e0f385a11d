import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../core/errors';
import { foolingRate, uapFromFile } from '../../core/optimize/uap';
import { type CliCommand, requireString } from '../command';
import { FIT_OPTION } from '../inputs';
import { loadImageDir } from './uap';

interface UapEvalResult {
  model: string;
  /** Share of the images whose top-1 class changes when the perturbation is added. */
  foolingRate: number;
  n: number;
  /** The model the perturbation was made on (it may be evaluated on another: transfer). */
  trainedOn?: string;
  eps: number;
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

export const uapEval: CliCommand = {
  summary: 'fooling rate of a universal perturbation (from uap) on a folder of images',
  usage: '--perturbation uap.json --images DIR [--fit stretch|center-crop]',
  options: { perturbation: { type: 'string' }, images: { type: 'string' }, ...FIT_OPTION },
  positionals: { min: 0, max: 0 },
  async run(ctx): Promise<UapEvalResult> {
    const path = requireString(ctx.values, 'perturbation');
    const dir = requireString(ctx.values, 'images');
    const net = await ctx.net();
    const { perturbation, file } = uapFromFile(readJson(path), net.inputSize);
    try {
      const { inputs } = loadImageDir(ctx, 'uap-eval', dir);
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
  text(result) {
    const r = result as UapEvalResult;
    return `fooling rate ${(r.foolingRate * 100).toFixed(1)}% on ${r.n} images`;
  },
};
