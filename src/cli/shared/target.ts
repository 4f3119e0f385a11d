import { ATTRIBUTION_METHOD_NAMES, type AttributionMethodName, isAttributionMethod } from '../../core/attribution';
import { InvalidInputError } from '../../core/errors';
import { NUM_CLASSES, assertClassIndex } from '../../core/labels';
import { type OptionValues, UsageError, stringOption } from '../command';

/**
 * --method NAME: one of the registered attribution methods (ATTRIBUTION_METHOD_NAMES). A missing or unknown name
 * is a UsageError naming the choices.
 */
export function methodOption(values: OptionValues): AttributionMethodName {
  const name = stringOption(values, 'method');
  if (name === undefined) throw new UsageError(`--method is required: one of ${ATTRIBUTION_METHOD_NAMES.join(', ')}`);
  if (!isAttributionMethod(name)) throw new UsageError(`unknown method '${name}': choose one of ${ATTRIBUTION_METHOD_NAMES.join(', ')}`);
  return name;
}

/**
 * A class index option (--target, --class). Every bad value gets one line and exit code 1: a whole number outside
 * the range the core's range message ("class index -1 is out of range 0..999"), anything else ("abc", "2.5") "class
 * index abc is not a whole number in 0..999".
 * `top` (when allowed) means the top-1 class and returns 'top'. Undefined when the option is absent.
 */
export function classIndexOption(values: OptionValues, name: string, { allowTop = false } = {}): number | 'top' | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (allowTop && text === 'top') return 'top';
  const range = `0..${NUM_CLASSES - 1}${allowTop ? " (or 'top')" : ''}`;
  if (!/^[+-]?\d+$/.test(text)) throw new InvalidInputError(`class index ${raw} is not a whole number in ${range}`);
  const index = Number(text);
  try {
    assertClassIndex(index);
  } catch {
    throw new InvalidInputError(`class index ${raw} is out of range ${range}`);
  }
  return index;
}

/** --neuron X,Y: two non-negative integers. */
export function parseNeuron(raw: string): { x: number; y: number } {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(raw);
  if (!m) throw new UsageError(`--neuron must be X,Y (two non-negative integers), got '${raw}'`);
  return { x: Number(m[1]), y: Number(m[2]) };
}
