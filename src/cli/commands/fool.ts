import { FOOL_DEFAULTS, type FoolResult, fool as foolImage } from '../../core/optimize/fool';
import type { ModelId } from '../../core/models';
import { differenceImage } from '../../core/optimize/pixels';
import { type CropRect, modelInputToImage } from '../../core/preprocess';
import { writePng } from '../../node/image-io';
import { type CliCommand, UsageError, numberOption, stringOption } from '../command';
import { FIT_OPTION, loadImage } from '../shared/inputs';
import { progressReporter } from '../shared/presets';
import { classIndexOption } from '../shared/target';

/** The core's FoolResult without the image tensor and the per-step values, plus where the pictures went. */
export interface FoolCliResult extends Omit<FoolResult, 'image' | 'values'> {
  model: ModelId | string;
  crop: CropRect;
  ms: number;
  out?: string;
  outDiff?: string;
}

export const fool: CliCommand<FoolCliResult> = {
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
  async run(ctx) {
    const target = classIndexOption(ctx.values, 'target');
    if (target === undefined || target === 'top') throw new UsageError('--target INDEX is required');
    // Range checks on eps are the core's: its messages are the same for the CLI and the kiosk.
    const eps = numberOption(ctx.values, 'eps', FOOL_DEFAULTS.eps);
    const stepSize = stringOption(ctx.values, 'step-size') === undefined ? undefined : numberOption(ctx.values, 'step-size', 1);
    const steps = numberOption(ctx.values, 'steps', FOOL_DEFAULTS.steps, { min: 1, max: 100_000, integer: true });
    const out = stringOption(ctx.values, 'out');
    const outDiff = stringOption(ctx.values, 'out-diff');
    const img = await loadImage(ctx, ctx.positionals[0]!);
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
  text(r) {
    const head = r.success ? 'fooled' : 'not fooled';
    return (
      `${head} in ${r.steps} steps: ${r.original.label} (${(r.original.probability * 100).toFixed(1)}%) → ` +
      `${r.adversarial.label} (${(r.adversarial.probability * 100).toFixed(1)}%), target ${r.target.label}; ` +
      `L∞ ${r.linf.toFixed(2)}, L2 ${r.l2.toFixed(1)} (pixel levels)`
    );
  },
};
