import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';

/**
 * How the optimised variable v becomes the image the network sees (Lucid's "parameterisation", Olah et al. 2017,
 * "Feature Visualization", section "The Enemy of Feature Visualization" / "Preconditioning and Parameterization").
 * Without one the engine optimises pixels directly. With one, the engine ascends on v: the image's gradient is
 * pulled back through `toImage`, so the same gradient step acts in a space where it is better conditioned (a
 * decorrelated, 1/f-scaled spectrum instead of pixels).
 */
export interface Parameterisation {
  /** Shown in preset descriptions and logs. */
  readonly name: string;
  /**
   * Shape of the variable for one `size` × `size` image; the engine's start (OptimizeSpec.init: zeros or noise)
   * is made in this shape.
   */
  variableShape(size: number): [number, number, number, number];
  /**
   * The image of v, [1, size, size, 3] in model space (−1..1, strictly inside for a sigmoid output);
   * differentiable in v, the caller disposes it.
   */
  toImage(v: tf.Tensor4D): tf.Tensor4D;
  /**
   * The vector–Jacobian product: ∂⟨image, gradient⟩/∂v for image = toImage(v), computed from the image itself
   * (no second forward pass); shaped like v, the caller disposes it. Absent: the engine differentiates toImage.
   */
  pullback?(image: tf.Tensor4D, gradient: tf.Tensor4D): tf.Tensor4D;
}

/**
 * Lucid's colour correlation, the square root of the ImageNet RGB covariance by SVD (lucid/optvis/param/color.py
 * `color_correlation_svd_sqrt`), rows R, G, B. Optimising in this basis gives each decorrelated colour component
 * an equal share of the step instead of letting the luminance direction dominate.
 */
export const COLOR_CORRELATION_SVD_SQRT: readonly (readonly [number, number, number])[] = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];

/** The signed frequencies 0, 1, −1, 2, −2, …, K, −K (K < n/2) of a truncated spectrum, as indices mod n. */
export function spectrumFrequencies(n: number, maxFrequency: number): number[] {
  const k = Math.min(maxFrequency, Math.floor((n - 1) / 2));
  return [0, ...Array.from({ length: k }, (_, i) => [i + 1, -(i + 1)]).flat()];
}

/**
 * Rows of the real Fourier (Hartley) basis of length n for the given signed frequencies: B[i][j] = cas(2π k_i j / n)
 * / √n with cas = cos + sin, [m, n] row-major. Its rows are orthonormal (B·Bᵀ = I): an image y = Bᵀ·C·B of real
 * coefficients C is the real form of Lucid's irfft2d of a complex spectrum, each C[a][b] a wave of k_a cycles down
 * and k_b across the image.
 */
export function hartleyBasis(n: number, frequencies: readonly number[]): Float32Array {
  const b = new Float32Array(frequencies.length * n);
  const s = 1 / Math.sqrt(n);
  frequencies.forEach((k, i) => {
    for (let j = 0; j < n; j++) {
      const a = (2 * Math.PI * ((((k * j) % n) + n) % n)) / n;
      b[i * n + j] = (Math.cos(a) + Math.sin(a)) * s;
    }
  });
  return b;
}

/**
 * Lucid's spectrum scale 1 / max(f, 1/n)^decay for every coefficient pair of the signed frequencies (k_a, k_b), f =
 * √(k_a² + k_b²) / n the frequency in cycles per pixel (lucid/optvis/param/spatial.py `fft_image`, decay_power 1):
 * low frequencies get large steps, high ones small, so the ascent builds coarse structure first. [m, m] row-major.
 */
export function spectrumScale(n: number, frequencies: readonly number[], decay: number): Float32Array {
  const m = frequencies.length;
  const out = new Float32Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) out[a * m + b] = 1 / Math.max(Math.hypot(frequencies[a]!, frequencies[b]!) / n, 1 / n) ** decay;
  }
  return out;
}

/** Options of fourierParameterisation. */
export interface FourierOptions {
  /** Exponent of the 1/f spectrum scale (Lucid's decay_power); default 1. */
  decay?: number;
  /**
   * Highest frequency kept, in cycles per image side (default 56: waves down to a 4-pixel period on 224 pixels).
   * Lucid keeps all (n/2); above ~n/4 the 1/f-scaled steps barely move in a few dozen steps, and the products
   * cost m = 2K + 1 rows instead of n.
   */
  maxFrequency?: number;
  /** Colour decorrelation with COLOR_CORRELATION_SVD_SQRT (Lucid's `decorrelate=True`); default true. */
  decorrelate?: boolean;
}

/**
 * Lucid's decorrelated Fourier parameterisation (Olah et al. 2017; lucid `param.image(fft=True, decorrelate=True)`):
 * v is a real spectrum [1, 3, m, m] (one per decorrelated colour channel) over the frequencies
 * spectrumFrequencies(n, maxFrequency). The image is
 *   y_c = Bᵀ · (v_c ⊙ S) · B / 4   (B = hartleyBasis, S = spectrumScale),
 *   rgb = y · (C / max‖C_col‖)ᵀ     (C = COLOR_CORRELATION_SVD_SQRT),
 *   image = 2·sigmoid(rgb) − 1      (model space; Lucid's sigmoid to [0, 1]),
 * periodic in both directions, so a circular jitter leaves no seam. A zero spectrum is the grey image; Lucid starts
 * from N(0, 0.01²). The basis products are plain matrix multiplications (every backend has them) and the pullback
 * is the transposed chain, using sigmoid' = (1 − image²)/2 from the image itself. Throws InvalidInputError for a
 * negative decay, a maxFrequency below 1, or a variable of the wrong shape.
 */
export function fourierParameterisation(size: number, { decay = 1, maxFrequency = 56, decorrelate = true }: FourierOptions = {}): Parameterisation {
  if (!Number.isInteger(size) || size < 2) throw new InvalidInputError(`image size must be an integer ≥ 2, got ${size}`);
  if (!Number.isFinite(decay) || decay < 0) throw new InvalidInputError(`spectrum decay must be ≥ 0, got ${decay}`);
  if (!Number.isInteger(maxFrequency) || maxFrequency < 1) throw new InvalidInputError(`maxFrequency must be an integer ≥ 1, got ${maxFrequency}`);
  const maxNorm = Math.max(...[0, 1, 2].map((c) => Math.hypot(...COLOR_CORRELATION_SVD_SQRT.map((row) => row[c]!))));
  // Colour matrix M with rgb = y · M, M = (C / maxNorm)ᵀ (the identity without decorrelation).
  const colour = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => (decorrelate ? COLOR_CORRELATION_SVD_SQRT[j]![i]! / maxNorm : i === j ? 1 : 0)));
  const n = size;
  const freqs = spectrumFrequencies(n, maxFrequency);
  const m = freqs.length;
  const basis = hartleyBasis(n, freqs);
  const scale = spectrumScale(n, freqs, decay);
  // Made per call inside the caller's tidy (a few hundred kB): nothing outlives a step, so nothing needs disposing.
  const constants = (): { b: tf.Tensor2D; s: tf.Tensor2D; c: tf.Tensor2D } => ({
    b: tf.tensor2d(basis, [m, n]),
    s: tf.tensor2d(scale, [m, m]),
    c: tf.tensor2d(colour, [3, 3]),
  });
  return {
    name: `${decorrelate ? 'decorrelated ' : ''}Fourier (1/f^${decay}, ≤ ${maxFrequency} cycles)`,
    variableShape: (imageSize) => {
      if (imageSize !== n) throw new InvalidInputError(`this Fourier parameterisation makes ${n} × ${n} images, not ${imageSize} × ${imageSize}`);
      return [1, 3, m, m];
    },
    toImage: (v) =>
      tf.tidy(() => {
        const k = constants();
        if (v.shape[0] !== 1 || v.shape[1] !== 3 || v.shape[2] !== m || v.shape[3] !== m) throw new InvalidInputError(`Fourier spectrum must be [1, 3, ${m}, ${m}], got [${v.shape.join(', ')}]`);
        const scaled = tf.mul(tf.reshape(v, [3, m, m]), k.s);
        // Over x: A_c · B → [3, m(y), n(x)]; over y: Bᵀ · (…) as (…)ᵀ · B → rows (c, x), columns y.
        const right = tf.reshape(tf.matMul(tf.reshape(scaled, [3 * m, m]), k.b), [3, m, n]);
        const left = tf.matMul(tf.reshape(tf.transpose(right, [0, 2, 1]), [3 * n, m]), k.b);
        const spatial = tf.transpose(tf.reshape(left, [3, n, n]), [2, 1, 0]); // [y, x, c]
        const rgb = tf.matMul(tf.reshape(tf.div(spatial, 4), [n * n, 3]), k.c);
        return tf.sub(tf.mul(tf.sigmoid(tf.reshape(rgb, [1, n, n, 3])), 2), 1) as tf.Tensor4D;
      }),
    pullback: (image, gradient) =>
      tf.tidy(() => {
        const k = constants();
        // Through the sigmoid: ∂image/∂rgb = 2 s (1 − s) = (1 − image²) / 2.
        const gRgb = tf.mul(gradient, tf.div(tf.sub(1, tf.square(image)), 2));
        const gSpatial = tf.div(tf.matMul(tf.reshape(gRgb, [n * n, 3]), k.c, false, true), 4); // [y·x, c]
        const gYXC = tf.reshape(gSpatial, [n, n, 3]);
        // Adjoint of the y product: for each (c, x), B · g[:, x, c] → [3, n(x), m(y)].
        const byX = tf.reshape(tf.transpose(gYXC, [2, 1, 0]), [3 * n, n]); // rows (c, x), columns y
        const left = tf.reshape(tf.matMul(byX, k.b, false, true), [3, n, m]); // [c, x, a]
        // Adjoint of the x product: (…)ᵀ → [c, a, x] · Bᵀ → [c, a, b].
        const right = tf.matMul(tf.reshape(tf.transpose(left, [0, 2, 1]), [3 * m, n]), k.b, false, true);
        return tf.reshape(tf.mul(tf.reshape(right, [3, m, m]), k.s), [1, 3, m, m]) as tf.Tensor4D;
      }),
  };
}

