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
