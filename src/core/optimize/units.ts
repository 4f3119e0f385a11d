/**
 * Pixel units. The model sees x = p / 127.5 − 1 for pixels p in 0..255, so a perturbation of d pixel levels is
 * d / 127.5 in model space. Every ε, step size and norm in the public API is in pixel units (0–255), as the
 * lecture and the papers state them; the engine works in model space.
 */
export const PIXEL_SCALE = 127.5;

export const pixelsToModel = (d: number): number => d / PIXEL_SCALE;
export const modelToPixels = (d: number): number => d * PIXEL_SCALE;
