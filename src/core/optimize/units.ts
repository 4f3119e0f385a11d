/**
 * Pixel units. The model sees x = p / 127.5 − 1 for pixels p in 0..255, so a perturbation of d pixel levels is
 * d / 127.5 in model space. Every ε, step size and norm in the public API is in pixel units (0–255), as the
 * lecture and the papers state them; the engine works in model space.
 */
export const PIXEL_SCALE = 127.5;

/** A length (ε, step, norm) of `d` pixel levels (0–255 units) in model units: d / 127.5. */
export const pixelsToModel = (d: number): number => d / PIXEL_SCALE;
/** A length of `d` model units in pixel levels: d × 127.5 (the inverse of pixelsToModel). */
export const modelToPixels = (d: number): number => d * PIXEL_SCALE;
