import * as tf from '@tensorflow/tfjs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConvLensError, InvalidInputError } from '../core/errors';
import { MODEL_IDS, type ModelId } from '../core/models';
import type { ConvNet } from '../core/network';
import { loadModel, loadUserModel } from '../node/model-files';
import { type CliCommand, type CliContext, type OptionValues, UsageError, choiceOption, stringOption } from './command';
import { COMMANDS } from './commands';

const GLOBAL_OPTIONS = {
  model: { type: 'string' },
  labels: { type: 'string' },
  'input-range': { type: 'string' },
  channels: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function helpText(): string {
  const lines = ['usage: npm run -s cli -- <command> [options]', '', 'commands:'];
  for (const [name, cmd] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(14)} ${cmd.summary}`);
  lines.push('', 'global options: --model standard|lite|PATH/model.json (default standard), --json (one JSON document on stdout)');
  lines.push('  for your own model: --labels FILE (metadata.json, JSON list or one label per line; default: metadata.json beside');
  lines.push('  model.json, else "class N"), --input-range LO,HI (its pixel range: -1,1 default, 0,1, 0,255), --channels rgb|bgr');
  lines.push("run '<command> --help' for a command's options");
  return lines.join('\n');
}

function commandHelp(name: string, cmd: CliCommand): string {
  return `usage: npm run -s cli -- ${name} ${cmd.usage} [--model standard|lite|PATH/model.json [--labels FILE] [--input-range LO,HI] [--channels rgb|bgr]] [--json]\n${cmd.summary}`;
}

/**
 * Every output path given (--out and --out-*) must lie in an existing, writable folder: checked before any work,
 * so a typo costs a second, not a minute of gradient steps. Throws InvalidInputError "cannot write PATH: CODE", the
 * message writing itself would give (src/node/image-io.ts).
 */
function checkOutputPaths(values: OptionValues): void {
  for (const [name, value] of Object.entries(values)) {
    if ((name !== 'out' && !name.startsWith('out-')) || typeof value !== 'string') continue;
    const folder = dirname(resolve(value));
    try {
      if (!statSync(folder).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      accessSync(folder, fsConstants.W_OK);
    } catch (err) {
      throw new InvalidInputError(`cannot write ${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

/**
 * `--target -1` as `--target=-1`: parseArgs reads a value that starts with a dash as another option ("argument is
 * ambiguous"), so a negative number would never reach the option's own range check and its message.
 */
export function joinNegativeValues(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && !name.includes('=') && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * --model standard|lite, or the path of a layers-format model.json (anything ending in .json or containing a path
 * separator), with --labels, --input-range and --channels for the latter (UsageError for them without a path).
 */
export function modelOption(values: OptionValues): { model: ModelId | string; load: () => Promise<ConvNet> } {
  const given = stringOption(values, 'model');
  const isPath = given !== undefined && (given.endsWith('.json') || given.includes('/') || given.includes('\\'));
  const userOnly = ['labels', 'input-range', 'channels'].filter((o) => values[o] !== undefined);
  if (!isPath) {
    if (userOnly.length > 0) throw new UsageError(`--${userOnly[0]} applies to your own model: give --model PATH/model.json`);
    const id: ModelId = choiceOption(values, 'model', MODEL_IDS, 'standard');
    return { model: id, load: () => loadModel(id) };
  }
  let range: [number, number] = [-1, 1];
  const rangeText = stringOption(values, 'input-range');
  if (rangeText !== undefined) {
    const parts = rangeText.split(',').map((p) => Number(p.trim()));
    if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p)) || !(parts[0]! < parts[1]!)) {
      throw new UsageError(`--input-range must be LO,HI with LO < HI (e.g. -1,1 or 0,1 or 0,255), got '${rangeText}'`);
    }
    range = [parts[0]!, parts[1]!];
  }
  const channels = choiceOption(values, 'channels', ['rgb', 'bgr'] as const, 'rgb');
  const labels = stringOption(values, 'labels');
  return { model: given, load: () => loadUserModel(given, { input: { range, channels }, ...(labels !== undefined ? { labelsFile: labels } : {}) }) };
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(helpText());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`convlens: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    let values: OptionValues;
    let positionals: string[];
    try {
      const options = { ...GLOBAL_OPTIONS, ...command.options };
      const parsed = parseArgs({ args: joinNegativeValues(rest, options), options, allowPositionals: true, strict: true });
      values = parsed.values as OptionValues;
      positionals = parsed.positionals;
    } catch (err) {
      throw new UsageError((err as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, ''));
    }
    if (values.help) {
      console.log(commandHelp(name, command));
      return 0;
    }
    if (positionals.length < command.positionals.min || positionals.length > command.positionals.max) {
      throw new UsageError(`usage: ${name} ${command.usage}`);
    }
    checkOutputPaths(values);
    const spec = modelOption(values);
    const model = spec.model;
    tf.enableProdMode(); // silences tfjs' console advice, which must not mix with CLI output
    await tf.setBackend('cpu');
    let loaded: Promise<ConvNet> | undefined;
    const ctx: CliContext = {
      values,
      positionals,
      model,
      json: values.json === true,
      net: () => (loaded ??= spec.load()),
      progress: (message) => {
        if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${message}`);
      },
      signal: controller.signal,
    };
    const result = await command.run(ctx);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (ctx.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else console.log(command.text ? command.text(result) : JSON.stringify(result, null, 2));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`convlens ${name}: ${err.message}`);
      return 2;
    }
    if (err instanceof ConvLensError || (err instanceof Error && err.name === 'AbortError')) {
      console.error(`convlens ${name}: ${err.message}`);
      return 1;
    }
    // Anything else is a bug, but the user still gets one line; CONVLENS_DEBUG=1 shows the stack.
    const e = err as Error;
    console.error(`convlens ${name}: internal error: ${e.message}`);
    if (process.env['CONVLENS_DEBUG']) console.error(e.stack);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`convlens: ${String(err)}`);
    process.exitCode = 1;
  },
);
