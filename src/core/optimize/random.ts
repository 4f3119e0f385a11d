import * as tf from '@tensorflow/tfjs';
import { permutation, seededRandom } from '../random';

/**
 * The engine draws every random choice (initial noise, jitter offsets, the order of training images) from one
 * seeded stream (the shared mulberry32 of core/random), so a run is a pure function of its seed on any backend.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer uniform in [lo, hi] (both included). */
  int(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** A permutation of 0..n−1. */
  permutation(n: number): number[];
}

/**
 * An Rng over the mulberry32 stream of `seed` (core/random seededRandom): next() uniform in [0, 1), int(lo, hi)
 * inclusive, normal() by Box–Muller (one draw of two uniforms per value), permutation(n) by Fisher–Yates. Same seed,
 * same sequence, on any backend.
 */
export function createRng(seed: number): Rng {
  const next = seededRandom(seed);
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    normal: () => {
      const u = 1 - next(); // in (0, 1]: the logarithm stays finite
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    permutation: (n) => permutation(n, next),
  };
}

/** `size` Gaussian values N(0, std²) drawn in order from the PRNG, as float32. */
export function normalValues(rng: Rng, size: number, std: number): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
  return values;
}

/** Gaussian noise tensor from the PRNG (not tf.randomNormal, whose stream depends on the tfjs version). */
export function normalTensor(rng: Rng, shape: readonly number[], std: number): tf.Tensor {
  return tf.tensor(normalValues(rng, shape.reduce((a, b) => a * b, 1), std), shape.slice());
}
