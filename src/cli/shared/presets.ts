import type { ProgressCallback } from '../../core/optimize/engine';
import { PRESET_NAMES, type Preset, type PresetName, preset, yosinskiPreset } from '../../core/optimize/presets';
import type { VisualizeOptions } from '../../core/optimize/visualize';
import { type CliContext, UsageError, choiceOption, numberOption, stringOption } from '../command';

/** Options shared by the commands that run a visualisation preset (visualize, invert). */
export const PRESET_OPTIONS = {
  preset: { type: 'string' },
  'yosinski-row': { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  init: { type: 'string' },
  out: { type: 'string' },
} as const;

/** Optimisation progress on stderr (TTY only): step and objective. */
export function progressReporter(ctx: CliContext): ProgressCallback {
  return ({ step, steps, objective }) => ctx.progress(`step ${step}/${steps}  objective ${objective.toPrecision(4)}`);
}

/** Reads --preset/--yosinski-row/--steps/--seed/--init into engine options. */
export function presetOptions(ctx: CliContext, fallback: PresetName): VisualizeOptions {
  const name = choiceOption(ctx.values, 'preset', PRESET_NAMES, fallback);
  const rowRaw = stringOption(ctx.values, 'yosinski-row');
  if (rowRaw !== undefined && name !== 'yosinski') throw new UsageError('--yosinski-row needs --preset yosinski');
  const chosen: Preset = rowRaw === undefined ? preset(name) : yosinskiPreset(numberOption(ctx.values, 'yosinski-row', 3, { min: 1, max: 4, integer: true }));
  const steps = numberOption(ctx.values, 'steps', chosen.steps, { min: 1, max: 100_000, integer: true });
  const seed = numberOption(ctx.values, 'seed', 0, { min: 0, max: 2 ** 32 - 1, integer: true });
  const init = stringOption(ctx.values, 'init') === undefined ? undefined : choiceOption(ctx.values, 'init', ['zeros', 'noise'] as const, 'zeros');
  return { preset: chosen, steps, seed, init, signal: ctx.signal, onProgress: progressReporter(ctx) };
}
