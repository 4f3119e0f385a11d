import type { ParseArgsConfig } from 'node:util';
import { ConvLensError } from '../core/errors';
import type { ModelId } from '../core/models';
import type { ConvNet } from '../core/network';

export type OptionValues = Record<string, string | boolean | undefined>;

/**
 * A CLI command: its options, and a run that returns the JSON document printed under --json. `Result` is that
 * document's type, so `text` (the human-readable rendering) receives it typed, without a cast.
 */
export interface CliCommand<Result extends object = object> {
  /** One line for the help listing. */
  summary: string;
  /** Argument synopsis, e.g. 'IMAGE [--top K]'. */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments the command takes. */
  positionals: { min: number; max: number };
  run(ctx: CliContext): Promise<Result>;
  /** Human-readable rendering of the result when --json is not given (method syntax: a registry of commands holds them as CliCommand). */
  text?(result: Result): string;
}

export interface CliContext {
  values: OptionValues;
  positionals: string[];
  /** The model: 'standard' or 'lite' (bundled), or the path of a user's model.json as given to --model. */
  model: ModelId | string;
  json: boolean;
  /** Loads the selected model once per process. */
  net(): Promise<ConvNet>;
  /** Progress lines go to stderr (never stdout, which --json keeps for the document alone). */
  progress(message: string): void;
  signal: AbortSignal;
}

/** Wrong or missing arguments: printed as one line, exit code 2. */
export class UsageError extends ConvLensError {}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireString(values: OptionValues, name: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** Parses a numeric option, checking it is finite, within range and (if asked) an integer. */
export function numberOption(
  values: OptionValues,
  name: string,
  fallback: number,
  { min = -Infinity, max = Infinity, integer = false }: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    const kind = integer ? 'an integer' : 'a number';
    const range = Number.isFinite(min) && Number.isFinite(max) ? ` in ${min}..${max}` : Number.isFinite(min) ? ` ≥ ${min}` : '';
    throw new UsageError(`--${name} must be ${kind}${range}, got '${raw}'`);
  }
  return n;
}

export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[], fallback: T): T {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`unknown --${name} '${raw}': choose one of ${choices.join(', ')}`);
  }
  return raw as T;
}
