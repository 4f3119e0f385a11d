import { InvalidInputError } from '../errors';

/**
 * Exact PCA: eigen-decomposition of the covariance (d×d) or, when there are fewer points than dimensions, of
 * the Gram matrix (n×n) — the same non-zero spectrum at a fraction of the cost for a small gallery.
 */
export interface PcaResult {
  mean: Float64Array;
  /** Unit-length principal directions, largest variance first; mutually orthogonal. */
  components: Float64Array[];
  /** Variance of the data along each component (sample variance, n − 1). */
  variances: number[];
  /** Total variance of the data (trace of the covariance). */
  totalVariance: number;
}

/**
 * Symmetric eigen-decomposition (Householder tridiagonalisation + implicit QL, after JAMA's tred2/tql2).
 * `a` is n×n row-major and is not modified. Returns eigenvalues in ascending order, eigenvectors as columns.
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array[] } {
  // W holds the transpose of JAMA's V (W[j][k] = V[k][j]): the inner loops then run along contiguous rows,
  // several times faster in JavaScript than striding down columns. The input being symmetric, W starts as A.
  const W: Float64Array[] = Array.from({ length: n }, (_, i) => a.slice(i * n, (i + 1) * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: [] };
  // --- tred2: reduce to tridiagonal form, accumulating the transformations in V.
  for (let j = 0; j < n; j++) d[j] = W[j]![n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = W[j]![i - 1]!;
        W[j]![i] = 0;
        W[i]![j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        W[i]![j] = f;
        g = e[j]! + W[j]![j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += W[j]![k]! * d[k]!;
          e[k] = e[k]! + W[j]![k]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) W[j]![k] = W[j]![k]! - (f * e[k]! + g * d[k]!);
        d[j] = W[j]![i - 1]!;
        W[j]![i] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    W[i]![n - 1] = W[i]![i]!;
    W[i]![i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = W[i + 1]![k]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += W[i + 1]![k]! * W[j]![k]!;
        for (let k = 0; k <= i; k++) W[j]![k] = W[j]![k]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) W[i + 1]![k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = W[j]![n - 1]!;
    W[j]![n - 1] = 0;
  }
  W[n - 1]![n - 1] = 1;
  e[0] = 0;
  // --- tql2: diagonalise the tridiagonal matrix by implicit QL with shifts.
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 100) throw new InvalidInputError('eigen-decomposition did not converge (non-finite values in the data?)');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const wi = W[i]!;
          const wi1 = W[i + 1]!;
          for (let k = 0; k < n; k++) {
            h = wi1[k]!;
            wi1[k] = s * wi[k]! + c * h;
            wi[k] = c * wi[k]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  // Sort ascending, with the vectors.
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[x]! - d[y]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = order.map((col) => W[col]!.slice());
  return { values, vectors };
}

/** Principal components of the rows (each a point), up to `k` of them (fewer when the data has lower rank). */
export function pca(rows: readonly ArrayLike<number>[], k = 2): PcaResult {
  const n = rows.length;
  if (n === 0) throw new InvalidInputError('PCA needs at least one point');
  const dim = rows[0]!.length;
  if (rows.some((r) => r.length !== dim)) throw new InvalidInputError('PCA points differ in dimension');
  const mean = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + r[j]! / n;
  const centred = rows.map((r) => Float64Array.from({ length: dim }, (_, j) => r[j]! - mean[j]!));
  if (centred.some((r) => r.some((v) => !Number.isFinite(v)))) throw new InvalidInputError('PCA points contain non-finite values');
  const denominator = Math.max(1, n - 1);
  let totalVariance = 0;
  for (const r of centred) for (const v of r) totalVariance += (v * v) / denominator;

  const useGram = n < dim;
  const size = useGram ? n : dim;
  const m = new Float64Array(size * size);
  if (useGram) {
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        const a = centred[i]!, b = centred[j]!;
        for (let t = 0; t < dim; t++) s += a[t]! * b[t]!;
        m[i * n + j] = s;
        m[j * n + i] = s;
      }
    }
  } else {
    for (const r of centred) {
      for (let i = 0; i < dim; i++) {
        const ri = r[i]!;
        if (ri === 0) continue;
        for (let j = i; j < dim; j++) m[i * dim + j] = m[i * dim + j]! + ri * r[j]!;
      }
    }
    for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) m[i * dim + j] = m[j * dim + i]!;
  }
  const { values, vectors } = symmetricEigen(m, size);
  const top = values[size - 1] ?? 0;
  const components: Float64Array[] = [];
  const variances: number[] = [];
  for (let idx = size - 1; idx >= 0 && components.length < k; idx--) {
    const lambda = values[idx]!;
    // Directions with (numerically) no variance are not defined by the data: stop at the data's rank.
    if (!(lambda > top * 1e-10) || lambda <= 0) break;
    let v: Float64Array;
    if (useGram) {
      // u is an eigenvector of X Xᵀ; Xᵀ u / √λ is the matching unit eigenvector of Xᵀ X.
      const u = vectors[idx]!;
      v = new Float64Array(dim);
      for (let i = 0; i < n; i++) {
        const ui = u[i]!;
        const r = centred[i]!;
        for (let t = 0; t < dim; t++) v[t] = v[t]! + ui * r[t]!;
      }
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      for (let t = 0; t < dim; t++) v[t] = v[t]! / norm;
    } else {
      v = vectors[idx]!.slice();
    }
    // Fix the sign (an eigenvector's sign is arbitrary) so maps do not flip between runs or library versions.
    let big = 0;
    for (let t = 1; t < dim; t++) if (Math.abs(v[t]!) > Math.abs(v[big]!)) big = t;
    if (v[big]! < 0) for (let t = 0; t < dim; t++) v[t] = -v[t]!;
    components.push(v);
    variances.push(lambda / denominator);
  }
  return { mean, components, variances, totalVariance };
}

/** Coordinates of points along the components (missing components, beyond the data's rank, give 0). */
export function pcaProject(result: PcaResult, rows: readonly ArrayLike<number>[], k = result.components.length): number[][] {
  return rows.map((r) =>
    Array.from({ length: k }, (_, c) => {
      const v = result.components[c];
      if (!v) return 0;
      let s = 0;
      for (let t = 0; t < v.length; t++) s += (r[t]! - result.mean[t]!) * v[t]!;
      return s;
    }),
  );
}
