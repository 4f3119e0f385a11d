import { throwIfAborted, yieldToEventLoop } from '../cancel';
import { InvalidInputError } from '../errors';
import type { ReluMode } from '../network';
import { resolveTarget } from '../target';
import { noisyCopies, saliencyPass, toAttributionMap } from './gradient';
import { SMOOTHGRAD_DEFAULTS, type SmoothingSettings } from './defaults';
import type { AttributionMap, AttributionMethod, AttributionOptions } from './types';

export { SMOOTHGRAD_DEFAULTS, SMOOTHGRAD_FORMS, type SmoothGradForm, type SmoothingSettings } from './defaults';

/** Options of SmoothGrad under the common signature (each falls back to SMOOTHGRAD_DEFAULTS). */
export interface SmoothGradOptions extends AttributionOptions, Partial<SmoothingSettings> {
  batchSize?: number;
}

/**
 * SmoothGrad (Smilkov et al. 2017) as a wrapper. Over a gradient-saliency method (saliency, guided backprop) it
 * averages gradients of noisy copies in the chosen `form` (default: the paper's average of signed gradients).
 * Over any other method it can only average finished maps (`form: 'mean-of-maps'`, which is then the default),
 * since such methods have no gradient to average.
 */
export function smoothGrad<O extends AttributionOptions>(base: AttributionMethod<O> & { rule?: ReluMode }, name = 'smoothgrad'): AttributionMethod<O & SmoothGradOptions> {
  return async (net, input, options) => {
    const d = SMOOTHGRAD_DEFAULTS;
    const settings: SmoothingSettings = {
      samples: options.samples ?? d.samples,
      noise: options.noise ?? d.noise,
      seed: options.seed ?? d.seed,
      form: options.form ?? (base.rule ? d.form : 'mean-of-maps'),
    };
    const extras = { samples: settings.samples, noise: settings.noise };
    if (base.rule) {
      const pass = await saliencyPass(net, input.tensor, {
        target: options.target,
        rule: base.rule,
        smoothing: settings,
        batchSize: options.batchSize ?? d.batchSize,
        signal: options.signal,
        onProgress: options.onProgress,
      });
      return toAttributionMap(name, input, options.target, pass, extras);
    }
    if (settings.form !== 'mean-of-maps') throw new InvalidInputError(`SmoothGrad form '${settings.form}' needs a gradient method; use 'mean-of-maps'`);
    // Any other method: the average of its maps on noisy copies (resolve 'top' once, on the clean input).
    const target = options.target === 'top' ? await resolveTarget(net, input.tensor, 'top') : options.target;
    let sum: Float32Array | undefined;
    let last: AttributionMap | undefined;
    for (let i = 0; i < settings.samples; i++) {
      await yieldToEventLoop();
      throwIfAborted(options.signal);
      const noisy = noisyCopies(input.tensor, settings, i, 1);
      try {
        last = await base(net, { tensor: noisy, crop: input.crop }, { ...options, target, onProgress: undefined });
      } finally {
        noisy.dispose();
      }
      sum ??= new Float32Array(last.data.length);
      for (let p = 0; p < sum.length; p++) sum[p] = sum[p]! + last.data[p]!;
      options.onProgress?.(i + 1, settings.samples);
    }
    for (let p = 0; p < sum!.length; p++) sum![p] = sum![p]! / settings.samples;
    return { method: name, width: last!.width, height: last!.height, data: sum!, crop: input.crop, target: last!.target, extras };
  };
}
