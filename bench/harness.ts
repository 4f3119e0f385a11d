import * as tf from '@tensorflow/tfjs';

/** Node CPU backend, quiet: the same set-up the CLI uses. */
export async function setupBackend(): Promise<void> {
  tf.enableProdMode();
  await tf.setBackend('cpu');
}

/** Median wall time (ms) of `fn` over `runs` runs after `warmup` unmeasured ones. */
export async function medianMs(fn: () => Promise<unknown> | unknown, runs = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Models to measure: `--model lite|standard` picks one, default both. */
export function modelsFromArgs(): ('lite' | 'standard')[] {
  const i = process.argv.indexOf('--model');
  const id = i >= 0 ? process.argv[i + 1] : undefined;
  return id === 'lite' || id === 'standard' ? [id] : ['lite', 'standard'];
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((v, c) => (typeof v === 'number' ? String(v).padStart(widths[c]!) : String(v).padEnd(widths[c]!))).join('  ')).join('\n');
}

/** The value after `name` on the command line (`--frames 5` → '5'), undefined when the flag is absent. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Prints one line to stderr and exits with status 2 (bad command-line input). */
export function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** A whole-number flag ≥ `min`, `fallback` when absent; fails with one line otherwise. */
export function intArg(name: string, fallback: number, min: number): number {
  const raw = argValue(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`${name} needs an integer ≥ ${min}, got '${raw}'`);
  return n;
}
