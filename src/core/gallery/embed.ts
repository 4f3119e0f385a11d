import { InvalidInputError } from '../errors';
import { pca, pcaProject } from './pca';
import { tsne, umap } from './tsne';

/**
 * The 2-D embeddings embed() offers, by CLI / job name: PCA (linear, deterministic), t-SNE (van der Maaten & Hinton
 * 2008), UMAP (McInnes et al. 2018).
 */
export const EMBED_METHODS = ['pca', 'tsne', 'umap'] as const;
/** One of EMBED_METHODS. */
export type EmbedMethod = (typeof EMBED_METHODS)[number];

/** Options of embed(); each applies only to the method named in its comment, the rest are ignored. */
export interface EmbedOptions {
  /** Seed of t-SNE's and UMAP's random initialisation (PCA is deterministic). */
  seed?: number;
  /** t-SNE perplexity (default 30, capped for small sets). */
  perplexity?: number;
  /** t-SNE iterations (default 1000). */
  iterations?: number;
  /** UMAP neighbourhood size (default 15, capped for small sets). */
  neighbours?: number;
}

/** The 2-D map embed() returns: one point per feature vector, in the coordinates of the method (arbitrary units). */
export interface Embedding {
  /** The method that produced the points. */
  method: EmbedMethod;
  /** One 2-D point per input vector, in input order. */
  points: [number, number][];
  /** PCA only: share of the total variance each of the two axes explains. */
  explained?: [number, number];
}

/** Maps feature vectors to 2-D with the chosen method. */
export function embed(vectors: readonly ArrayLike<number>[], method: EmbedMethod, options: EmbedOptions = {}): Embedding {
  if (vectors.length === 0) throw new InvalidInputError('nothing to embed: the gallery has no readable images');
  const { seed = 1 } = options;
  switch (method) {
    case 'pca': {
      const result = pca(vectors, 2);
      const points = pcaProject(result, vectors, 2).map((p) => [p[0]!, p[1]!] as [number, number]);
      const share = (i: number): number => (result.totalVariance > 0 ? (result.variances[i] ?? 0) / result.totalVariance : 0);
      return { method, points, explained: [share(0), share(1)] };
    }
    case 'tsne':
      return { method, points: tsne(vectors, { seed, perplexity: options.perplexity, iterations: options.iterations }) };
    case 'umap':
      return { method, points: umap(vectors, { seed, neighbours: options.neighbours }) };
  }
}
