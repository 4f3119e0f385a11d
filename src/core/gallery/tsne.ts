import { TSNE } from '@keckelt/tsne';
import { UMAP } from 'umap-js';
import { InvalidInputError } from '../errors';
import { seededRandom } from '../random';

/** The embeddings' only source of randomness, so a seed fixes the map (re-exported for callers and tests). */

/**
 * @keckelt/tsne (Karpathy's tsnejs in TypeScript) draws its initial solution from Math.random through
 * gaussRandom(); overriding that one method with a seeded Box–Muller makes a run reproducible without touching
 * the global Math.random.
 */
class SeededTSNE extends TSNE {
  private spare: number | undefined;

  constructor(
    options: { perplexity: number; epsilon: number; dim: number },
    private readonly random: () => number,
  ) {
    super(options);
  }

  override gaussRandom(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    for (;;) {
      const u = 2 * this.random() - 1;
      const v = 2 * this.random() - 1;
      const r = u * u + v * v;
      if (r === 0 || r >= 1) continue;
      const c = Math.sqrt((-2 * Math.log(r)) / r);
      this.spare = v * c;
      return u * c;
    }
  }
}

/**
 * Options of tsne() (van der Maaten & Hinton 2008, via tsnejs); InvalidInputError for perplexity ≤ 0, a non-integer
 * or negative iteration count, or a learning rate ≤ 0.
 */
export interface TsneOptions {
  /** Seed of the random initial layout (default 1): the same seed gives the same map. */
  seed?: number;
  /** Effective number of neighbours (default 30, lowered for small sets: it must stay below the point count). */
  perplexity?: number;
  /** Gradient steps (default 1000). */
  iterations?: number;
  /** Learning rate (tsnejs' epsilon, default 10). */
  learningRate?: number;
}

function checkRows(rows: readonly ArrayLike<number>[]): number {
  const dim = rows[0]?.length ?? 0;
  if (rows.some((r) => r.length !== dim)) throw new InvalidInputError('points differ in dimension');
  if (rows.some((r) => Array.prototype.some.call(r, (v: number) => !Number.isFinite(v)))) throw new InvalidInputError('points contain non-finite values');
  return dim;
}

/** A perplexity the set can support: at most (n − 1) / 3, the usual rule of thumb, and at least 1. */
export function effectivePerplexity(n: number, requested = 30): number {
  return Math.max(1, Math.min(requested, (n - 1) / 3));
}

/** t-SNE of the rows to 2-D (exact O(n²) gradient). Deterministic for a given seed. */
export function tsne(rows: readonly ArrayLike<number>[], { seed = 1, perplexity = 30, iterations = 1000, learningRate = 10 }: TsneOptions = {}): [number, number][] {
  checkRows(rows);
  if (rows.length === 0) return [];
  if (rows.length === 1) return [[0, 0]];
  if (!(perplexity > 0) || !Number.isInteger(iterations) || iterations < 0 || !(learningRate > 0)) {
    throw new InvalidInputError('t-SNE needs perplexity > 0, a whole number of iterations ≥ 0 and a learning rate > 0');
  }
  const model = new SeededTSNE({ perplexity: effectivePerplexity(rows.length, perplexity), epsilon: learningRate, dim: 2 }, seededRandom(seed));
  model.initDataRaw(rows.map((r) => Array.from(r)));
  for (let i = 0; i < iterations; i++) model.step();
  return (model.getSolution() as number[][]).map((p) => [p[0]!, p[1]!]);
}

/** Options of umap() (McInnes et al. 2018, via umap-js). */
export interface UmapOptions {
  /** Seed of umap-js' random() hook (default 1): the same seed gives the same map. */
  seed?: number;
  /** Neighbourhood size (default 15, lowered to n − 1 for small sets). */
  neighbours?: number;
  /** UMAP min_dist: how tightly points may pack in the map (default 0.1; 0 = clumps, towards 1 = spread). */
  minDist?: number;
  /** Optimisation epochs (default: umap-js' own choice from the set size). */
  epochs?: number;
}

/** UMAP (umap-js) of the rows to 2-D, seeded through umap-js' random() hook. */
export function umap(rows: readonly ArrayLike<number>[], { seed = 1, neighbours = 15, minDist = 0.1, epochs }: UmapOptions = {}): [number, number][] {
  checkRows(rows);
  // umap-js needs a few points to build its neighbour graph; below that every layout is as good as another.
  if (rows.length < 4) return rows.map((_, i) => [i, 0]);
  const model = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(neighbours, rows.length - 1)),
    minDist,
    random: seededRandom(seed),
    ...(epochs !== undefined ? { nEpochs: epochs } : {}),
  });
  return model.fit(rows.map((r) => Array.from(r))).map((p) => [p[0]!, p[1]!]);
}
