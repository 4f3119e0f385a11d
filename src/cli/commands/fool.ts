import type { Prediction } from '../../core/classify';
import { FOOL_DEFAULTS, fool as foolImage } from '../../core/optimize/fool';
import { differenceImage } from '../../core/optimize/pixels';
import { type CropRect, modelInputToImage } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, UsageError, numberOption, stringOption } from '../command';
import { FIT_OPTION, loadImage } from '../inputs';
import { progressReporter } from './visualize';

interface FoolCliResult {
  model: string;
  success: boolean;
  steps: number;
  eps: number;
  /** ‖adversarial − original‖∞ and ‖·‖₂ of the saved 8-bit image, in pixel levels (0–255). */
  linf: number;
  l2: number;
  crop: CropRect;
  original: Prediction;
  adversarial: Prediction;
  target: Prediction;
  ms: number;
  out?: string;
  outDiff?: string;
}

export const fool: CliCommand = {
  summary: 'fooling image: the smallest-looking change (L∞ ≤ eps) that makes the network see a chosen class',
  usage: 'IMAGE --target INDEX [--eps E] [--step-size S] [--steps N] [--out adv.png] [--out-diff diff.png] [--fit stretch|center-crop]',
  options: {
    target: { type: 'string' },
    eps: { type: 'string' },
    'step-size': { type: 'string' },
    steps: { type: 'string' },
    out: { type: 'string' },
    'out-diff': { type: 'string' },
    ...FIT_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run(ctx): Promise<FoolCliResult> {
    if (ctx.values['target'] === undefined) throw new UsageError('--target INDEX is required');
    const target = numberOption(ctx.values, 'target', 0, { integer: true });
    // Range checks (eps > 0, class index) are the core's: its messages are the same for the CLI and the kiosk.
    const eps = numberOption(ctx.values, 'eps', FOOL_DEFAULTS.eps);
    const stepSize = stringOption(ctx.values, 'step-size') === undefined ? undefined : numberOption(ctx.values, 'step-size', 1);
    const steps = numberOption(ctx.values, 'steps', FOOL_DEFAULTS.steps, { min: 1, max: 100_000, integer: true });
    const out = stringOption(ctx.values, 'out');
    const outDiff = stringOption(ctx.values, 'out-diff');
    const img = loadImage(ctx, ctx.positionals[0]!);
    try {
      const net = await ctx.net();
      const t0 = performance.now();
      const r = await foolImage(net, img.input, target, { eps, stepSize, steps, signal: ctx.signal, onProgress: progressReporter(ctx) });
      try {
        const ms = Math.round(performance.now() - t0);
        if (out) writePng(out, await modelInputToImage(r.image));
        if (outDiff) writePng(outDiff, await differenceImage(r.image, img.input));
        const { success, linf, l2, original, adversarial } = r;
        return { model: ctx.model, success, steps: r.steps, eps, linf, l2, crop: img.crop, original, adversarial, target: r.target, ms, out, outDiff };
      } finally {
        r.image.dispose();
      }
    } finally {
      img.input.dispose();
    }
  },
  text(result) {
    const r = result as FoolCliResult;
    const head = r.success ? 'fooled' : 'not fooled';
    return (
      `${head} in ${r.steps} steps: ${r.original.label} (${(r.original.probability * 100).toFixed(1)}%) → ` +
      `${r.adversarial.label} (${(r.adversarial.probability * 100).toFixed(1)}%), target ${r.target.label}; ` +
      `L∞ ${r.linf.toFixed(2)}, L2 ${r.l2.toFixed(1)} (pixel levels)`
    );
  },
};
