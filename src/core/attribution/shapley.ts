import type * as tf from '@tensorflow/tfjs';
import { permutation, seededRandom } from '../random';
import { type Fill, type ScoreKind, balancedBatchSize, maskedEvaluator } from './masking';
import { resolveTarget } from '../target';
import { BatchPacer } from '../pacing';
import { SHAPLEY_DEFAULTS } from './defaults';
import type { AttributionMethod, AttributionOptions } from './types';

export { FINE_SHAPLEY, SHAPLEY_DEFAULTS, SHAPLEY_DISPLAY } from './defaults';

/**
 * Options of shapley (permutation-sampled Shapley values of grid cells); any left out take SHAPLEY_DEFAULTS. Throws
 * RangeError for a grid outside 1..32 or fewer than one permutation.
 */
export interface ShapleyOptions extends AttributionOptions {
  /** The image is cut into grid × grid cells; each cell is one player. */
  grid?: number;
  /** Random permutations sampled (Castro et al. 2009). */
  permutations?: number;
  /** What an absent cell shows. */
  fill?: Fill;
  /** Coalition images per forward pass (default 16). */
  batchSize?: number;
  /** Seed of the permutation sampler (seededRandom); the same seed gives the same values. */
  seed?: number;
  /** Logits by default: Shapley values share out an additive score. */
  score?: ScoreKind;
}

/**
 * Shapley values of image cells by permutation sampling: for each random order, cells are revealed one by one
 * (from all filled to the full image) and each cell is credited with the score change it causes. Every
 * permutation telescopes to f(all) − f(none), so the cell values always sum to exactly that (efficiency).
 * Coalitions from all permutations are evaluated together in fixed-size batches.
 */
export const shapley: AttributionMethod<ShapleyOptions> = async (net, input, options) => {
  const { signal, onProgress } = options;
  const { grid, permutations, fill, batchSize, seed, score } = { ...SHAPLEY_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  const target = await resolveTarget(net, input.tensor, options.target);
  if (!(Number.isInteger(grid) && grid >= 1 && grid <= 32)) throw new RangeError(`Shapley grid must be an integer in 1..32, got ${grid}`);
  if (!(Number.isInteger(permutations) && permutations >= 1)) throw new RangeError('Shapley needs at least one permutation');
  const size = net.inputSize;
  const players = grid * grid;
  const edges = Array.from({ length: grid + 1 }, (_, i) => Math.round((i * size) / grid));
  const cellOf = new Int32Array(size * size);
  for (let y = 0; y < size; y++) {
    const cy = edges.findIndex((e, i) => i > 0 && y < e) - 1;
    for (let x = 0; x < size; x++) cellOf[y * size + x] = cy * grid + (edges.findIndex((e, i) => i > 0 && x < e) - 1);
  }
  const maskFor = (present: Uint8Array): Float32Array => {
    const m = new Float32Array(size * size);
    for (let p = 0; p < m.length; p++) m[p] = present[cellOf[p]!]!;
    return m;
  };

  const random = seededRandom(seed);
  const orders = Array.from({ length: permutations }, () => permutation(players, random));
  // Every coalition to score: none, all, then for each permutation the first k cells revealed (k = 1..n−1).
  const coalitions: Uint8Array[] = [new Uint8Array(players), new Uint8Array(players).fill(1)];
  for (const order of orders) {
    const present = new Uint8Array(players);
    for (let k = 0; k < players - 1; k++) {
      present[order[k]!] = 1;
      coalitions.push(present.slice());
    }
  }
  const perPass = balancedBatchSize(coalitions.length, batchSize);
  const pacer = options.paceMs !== undefined ? new BatchPacer({ max: perPass, budgetMs: options.paceMs }) : undefined;
  const evaluator = maskedEvaluator(net, input.tensor as tf.Tensor4D, target, { fill, score, batchSize: perPass, pacer });
  try {
    const values = await evaluator.evaluate(
      coalitions.map((c) => () => maskFor(c)),
      { signal, onBatch: (done) => onProgress?.(done, coalitions.length) },
    );
    const [fNone, fAll] = [values[0]!, values[1]!];
    const phi = new Float64Array(players);
    orders.forEach((order, p) => {
      let previous = fNone;
      for (let k = 0; k < players; k++) {
        const current = k < players - 1 ? values[2 + p * (players - 1) + k]! : fAll;
        phi[order[k]!] = phi[order[k]!]! + current - previous;
        previous = current;
      }
    });
    const cells = Array.from(phi, (v) => v / permutations);
    const signed = new Float32Array(size * size);
    const data = new Float32Array(size * size);
    for (let p = 0; p < signed.length; p++) {
      signed[p] = cells[cellOf[p]!]!;
      data[p] = Math.max(0, signed[p]!);
    }
    return {
      method: 'shapley',
      width: size,
      height: size,
      data,
      signed,
      crop: input.crop,
      target,
      extras: { cells, grid, permutations, scoreAll: fAll, scoreNone: fNone },
    };
  } finally {
    evaluator.dispose();
  }
};
