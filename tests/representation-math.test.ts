import { describe, expect, it } from 'vitest';
import { resampleImage } from '../src/core/gallery/draw';
import { embed } from '../src/core/gallery/embed';
import { distance, nearest } from '../src/core/gallery/neighbours';
import { pca, pcaProject, symmetricEigen } from '../src/core/gallery/pca';
import { tsne, umap } from '../src/core/gallery/tsne';
import { seededRandom } from '../src/core/random';
import { decodeActivation, encodeActivation } from '../src/node/disk-feature-cache';

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Points around `clusters` well-separated centres in `dim` dimensions; labels say which centre. */
function clustered(n: number, dim: number, clusters: number, seed: number): { rows: Float32Array[]; labels: number[] } {
  const random = seededRandom(seed);
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, () => gaussian(random) * 10));
  const labels = Array.from({ length: n }, (_, i) => i % clusters);
  const rows = labels.map((l) => Float32Array.from(centres[l]!, (c) => c + gaussian(random)));
  return { rows, labels };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe('PCA', () => {
  it('symmetricEigen returns A v = λ v with orthonormal vectors, ascending', () => {
    const n = 12;
    const random = seededRandom(5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = gaussian(random);
    const { values, vectors } = symmetricEigen(a, n);
    for (let c = 0; c < n; c++) {
      if (c > 0) expect(values[c]!).toBeGreaterThanOrEqual(values[c - 1]!);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j]! * vectors[c]![j]!;
        expect(av).toBeCloseTo(values[c]! * vectors[c]![i]!, 10);
      }
      for (let d = 0; d < n; d++) expect(dot(vectors[c]!, vectors[d]!)).toBeCloseTo(c === d ? 1 : 0, 10);
    }
  });

  for (const [label, n, dim] of [
    ['more points than dimensions (covariance)', 200, 20],
    ['fewer points than dimensions (Gram matrix)', 15, 256],
  ] as const) {
    it(`components are orthonormal and ordered by variance: ${label}`, () => {
      const random = seededRandom(n);
      // Anisotropic data: dimension j has standard deviation 1 + j / 2, then a random rotation-free mix.
      const rows = Array.from({ length: n }, () => Float64Array.from({ length: dim }, (_, j) => gaussian(random) * (1 + j / 2) + (j === 0 ? 3 : 0)));
      const k = 5;
      const result = pca(rows, k);
      expect(result.components).toHaveLength(k);
      for (let c = 0; c < k; c++) {
        for (let d = 0; d < k; d++) expect(dot(result.components[c]!, result.components[d]!)).toBeCloseTo(c === d ? 1 : 0, 8);
        if (c > 0) expect(result.variances[c]!).toBeLessThanOrEqual(result.variances[c - 1]!);
      }
      // The reported variances are the sample variances of the projections, and no direction beats the first.
      const projected = pcaProject(result, rows, k);
      for (let c = 0; c < k; c++) {
        const v = projected.reduce((s, p) => s + p[c]! ** 2, 0) / (n - 1);
        expect(v).toBeCloseTo(result.variances[c]!, 6);
      }
      for (let j = 0; j < dim; j++) {
        const axisVariance = rows.reduce((s, r) => s + (r[j]! - result.mean[j]!) ** 2, 0) / (n - 1);
        expect(axisVariance).toBeLessThanOrEqual(result.variances[0]! + 1e-9);
      }
      expect(result.variances.reduce((s, v) => s + v, 0)).toBeLessThanOrEqual(result.totalVariance + 1e-9);
    });
  }

  it('finds the one direction of data lying on a line, and stops at the data rank', () => {
    const direction = [3, 4, 0, 0].map((v) => v / 5);
    const rows = [-2, -1, 0, 1, 2, 3].map((t) => direction.map((d, j) => t * d + j));
    const result = pca(rows, 3);
    expect(result.components).toHaveLength(1);
    result.components[0]!.forEach((v, j) => expect(Math.abs(v)).toBeCloseTo(direction[j]!, 10));
    expect(result.variances[0]).toBeCloseTo(result.totalVariance, 10);
    // embed() pads the missing second axis with zeros.
    const map = embed(rows, 'pca');
    expect(map.points.every((p) => p[1] === 0)).toBe(true);
    expect(map.explained![0]).toBeCloseTo(1, 10);
  });
});

describe('t-SNE and UMAP', () => {
  const { rows, labels } = clustered(60, 32, 3, 11);

  it('t-SNE with a fixed seed is deterministic, and another seed gives another layout', () => {
    const a = tsne(rows, { seed: 7, iterations: 300 });
    const b = tsne(rows, { seed: 7, iterations: 300 });
    const c = tsne(rows, { seed: 8, iterations: 300 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.flat().every(Number.isFinite)).toBe(true);
  });

  it('t-SNE keeps clusters together: every point’s nearest 2-D neighbour is from its own cluster', () => {
    const map = tsne(rows, { seed: 3, iterations: 500 });
    for (let i = 0; i < map.length; i++) {
      const [nn] = nearest(map[i]!, map, 1, 'l2', (j) => j === i);
      expect(labels[nn!.index]).toBe(labels[i]);
    }
  });

  it('UMAP with a fixed seed is deterministic and keeps clusters together', () => {
    const a = umap(rows, { seed: 4 });
    expect(umap(rows, { seed: 4 })).toEqual(a);
    for (let i = 0; i < a.length; i++) {
      const [nn] = nearest(a[i]!, a, 1, 'l2', (j) => j === i);
      expect(labels[nn!.index]).toBe(labels[i]);
    }
  });
});

describe('distances and nearest neighbours', () => {
  it('computes L2 and cosine distances', () => {
    expect(distance([0, 0], [3, 4], 'l2')).toBe(5);
    expect(distance([1, 0], [0, 2], 'cosine')).toBeCloseTo(1, 12);
    expect(distance([1, 1], [3, 3], 'cosine')).toBeCloseTo(0, 12);
    expect(distance([1, 0], [-2, 0], 'cosine')).toBeCloseTo(2, 12);
    expect(distance([0, 0], [1, 0], 'cosine')).toBe(1);
    expect(() => distance([1], [1, 2], 'l2')).toThrow(/differ in length/);
  });

  it('ranks by distance with the excluded index left out; cosine ignores scale, L2 does not', () => {
    const points = [
      [10, 0],
      [1, 0.5],
      [0.9, 0],
      [0, 1],
    ];
    expect(nearest([1, 0], points, 2, 'l2').map((n) => n.index)).toEqual([2, 1]);
    expect(nearest([1, 0], points, 2, 'cosine').map((n) => n.index)).toEqual([0, 2]);
    expect(nearest([1, 0], points, 3, 'l2', (i) => i === 2).map((n) => n.index)).toEqual([1, 3, 0]);
  });
});

describe('helpers', () => {
  it('resampling averages when shrinking (no aliasing) and keeps flat colours flat', () => {
    const size = 64;
    const data = new Uint8ClampedArray(size * size * 4);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) data.set((x + y) % 2 ? [255, 255, 255, 255] : [0, 0, 0, 255], (y * size + x) * 4);
    }
    const small = resampleImage({ width: size, height: size, data }, 8, 8);
    for (let i = 0; i < small.data.length; i += 4) expect(Math.abs(small.data[i]! - 127.5)).toBeLessThan(8);
    const flat = { width: 5, height: 3, data: new Uint8ClampedArray(5 * 3 * 4).fill(200) };
    expect([...resampleImage(flat, 17, 11).data].every((v) => v === 200)).toBe(true);
  });

  it('encodes cache entries losslessly and rejects damaged ones', () => {
    const value = { shape: [2, 3], data: Float32Array.from([1.5, -2, 0, 3.25, 1e-8, 7]) };
    const bytes = encodeActivation(value);
    expect(decodeActivation(bytes)).toEqual(value);
    expect(decodeActivation(bytes.slice(0, bytes.length - 1))).toBeUndefined();
    expect(decodeActivation(new Uint8Array([...bytes, 0]))).toBeUndefined();
    expect(decodeActivation(new TextEncoder().encode('not a cache entry'))).toBeUndefined();
  });
});
