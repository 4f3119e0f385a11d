import { CholeskyDecomposition, Matrix, solve } from 'ml-matrix';
import { InvalidInputError } from '../errors';

/**
 * Weighted ridge regression with an unpenalised intercept, as scikit-learn's `Ridge(alpha).fit(X, y, sample_weight)`
 * that the LIME reference implementation (lime_base.py) fits: X and y are centred on their weighted means, then
 * β solves (Xcᵀ W Xc + αI) β = Xcᵀ W yc (Cholesky of ml-matrix; for α = 0 and a singular system, ml-matrix's SVD
 * least-squares solution), and the intercept is ȳ_w − x̄_wᵀ β.
 */

/** A fitted linear model y ≈ intercept + Σ coefficients[j] · x[j]. */
export interface LinearModel {
  /** One per feature (column of X). */
  coefficients: Float64Array;
  intercept: number;
}

/** Checks that X (n rows of d), y (n) and w (n, ≥ 0, not all 0) fit together; returns [n, d]. */
function shapeOf(X: readonly ArrayLike<number>[], y: ArrayLike<number>, w: ArrayLike<number>): [number, number] {
  const n = X.length;
  const d = n > 0 ? X[0]!.length : 0;
  if (n === 0 || d === 0) throw new InvalidInputError('ridge regression needs at least one sample and one feature');
  if (X.some((row) => row.length !== d)) throw new InvalidInputError(`every sample needs ${d} features`);
  if (y.length !== n || w.length !== n) throw new InvalidInputError(`${n} samples need ${n} targets and ${n} weights, got ${y.length} and ${w.length}`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!(w[i]! >= 0 && Number.isFinite(w[i]!))) throw new InvalidInputError(`sample weight ${i} must be finite and ≥ 0, got ${w[i]}`);
    total += w[i]!;
  }
  if (!(total > 0)) throw new InvalidInputError('the sample weights are all 0');
  return [n, d];
}

/**
 * Fits y ≈ intercept + X β by weighted ridge regression (see the module note): X has n rows of d features, y and
 * w (the sample weights, ≥ 0, not all 0) n values each; `alpha` ≥ 0 is the L2 penalty on β (not on the intercept).
 * Throws InvalidInputError for mismatched sizes, negative weights or a negative alpha.
 */
export function weightedRidge(X: readonly ArrayLike<number>[], y: ArrayLike<number>, w: ArrayLike<number>, alpha: number): LinearModel {
  const [n, d] = shapeOf(X, y, w);
  if (!(alpha >= 0 && Number.isFinite(alpha))) throw new InvalidInputError(`the ridge penalty must be finite and ≥ 0, got ${alpha}`);
  let wSum = 0;
  let yMean = 0;
  const xMean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    wSum += w[i]!;
    yMean += w[i]! * y[i]!;
    for (let j = 0; j < d; j++) xMean[j] = xMean[j]! + w[i]! * X[i]![j]!;
  }
  yMean /= wSum;
  for (let j = 0; j < d; j++) xMean[j] = xMean[j]! / wSum;
  // Rows scaled by √w: (√W Xc)ᵀ(√W Xc) = Xcᵀ W Xc.
  const xs = new Matrix(n, d);
  const ys = new Matrix(n, 1);
  for (let i = 0; i < n; i++) {
    const s = Math.sqrt(w[i]!);
    for (let j = 0; j < d; j++) xs.set(i, j, s * (X[i]![j]! - xMean[j]!));
    ys.set(i, 0, s * (y[i]! - yMean));
  }
  const xt = xs.transpose();
  const A = xt.mmul(xs).add(Matrix.eye(d, d).mul(alpha));
  const b = xt.mmul(ys);
  const cholesky = new CholeskyDecomposition(A);
  const beta = cholesky.isPositiveDefinite() ? cholesky.solve(b) : solve(A, b, true);
  const coefficients = Float64Array.from(beta.getColumn(0));
  let intercept = yMean;
  for (let j = 0; j < d; j++) intercept -= xMean[j]! * coefficients[j]!;
  return { coefficients, intercept };
}

/** The model's prediction for one sample x (d features). */
export function predict(model: LinearModel, x: ArrayLike<number>): number {
  let v = model.intercept;
  for (let j = 0; j < model.coefficients.length; j++) v += model.coefficients[j]! * x[j]!;
  return v;
}

/**
 * Weighted coefficient of determination of `model` on samples (X, y, w), as scikit-learn's `score(X, y,
 * sample_weight)`: 1 − Σ w (y − ŷ)² / Σ w (y − ȳ_w)². 1 = perfect, 0 = no better than the weighted mean, negative =
 * worse; NaN when the targets do not vary (the denominator is 0).
 */
export function weightedR2(model: LinearModel, X: readonly ArrayLike<number>[], y: ArrayLike<number>, w: ArrayLike<number>): number {
  const [n] = shapeOf(X, y, w);
  let wSum = 0;
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    wSum += w[i]!;
    yMean += w[i]! * y[i]!;
  }
  yMean /= wSum;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    residual += w[i]! * (y[i]! - predict(model, X[i]!)) ** 2;
    total += w[i]! * (y[i]! - yMean) ** 2;
  }
  return total > 0 ? 1 - residual / total : Number.NaN;
}
