
import type { ConvNet } from './network';
import type { RgbaImage } from './preprocess';
import { tileGrid, upscale } from './render/image';

/**
 * Kernels as pictures. Weights are shown as trained (before batch-norm folding), mapped symmetrically around zero
 * so that 0 is mid-grey: w → 0.5 + 0.5·w / max|w|, the usual way filters are shown in the lecture.
 */

function toByte(v: number, scale: number): number {
  return Math.round(255 * (0.5 + (0.5 * v) / scale));
}

/** First-layer filters as RGB tiles (one per output channel), each normalised by its own max |w|. */
export async function rgbFilterTiles(net: ConvNet, layer = net.convLayers()[0]!, tileScale = 8): Promise<RgbaImage> {
  const { kernel } = net.kernel(layer);
  const [kh, kw, cin, cout] = kernel.shape;
  const w = await kernel.data();
  kernel.dispose();
  if (cin !== 3) return kernelTilesFromData(w, [kh, kw, cin, cout], false, tileScale);
  const tiles: RgbaImage[] = [];
  for (let o = 0; o < cout; o++) {
    let scale = 1e-12;
    for (let i = 0; i < kh * kw * 3; i++) scale = Math.max(scale, Math.abs(w[i * cout + o]!));
    const data = new Uint8ClampedArray(kh * kw * 4);
    for (let p = 0; p < kh * kw; p++) {
      for (let ch = 0; ch < 3; ch++) data[p * 4 + ch] = toByte(w[(p * 3 + ch) * cout + o]!, scale);
      data[p * 4 + 3] = 255;
    }
    tiles.push(upscale({ width: kw, height: kh, data }, tileScale));
  }
  return tileGrid(tiles, { gap: 2 });
}

/**
 * Any conv layer's kernels as grayscale tiles: one kh×kw tile per (output, input) pair, rows = output channels,
 * columns = input channels (depthwise: one tile per channel). Normalised by the layer's max |w|.
 */
export async function kernelTiles(net: ConvNet, layer: string, tileScale?: number): Promise<RgbaImage> {
  const { kernel, depthwise } = net.kernel(layer);
  const shape = kernel.shape;
  const w = await kernel.data();
  kernel.dispose();
  return kernelTilesFromData(w, shape as [number, number, number, number], depthwise, tileScale);
}

function kernelTilesFromData(
  w: Float32Array | Int32Array | Uint8Array,
  [kh, kw, cin, cout]: readonly [number, number, number, number],
  depthwise: boolean,
  tileScale?: number,
): RgbaImage {
  let scale = 1e-12;
  for (const v of w) scale = Math.max(scale, Math.abs(v));
  const scaleBy = tileScale ?? (kh === 1 ? 1 : 6);
  const tile = (pick: (p: number) => number): RgbaImage => {
    const data = new Uint8ClampedArray(kh * kw * 4);
    for (let p = 0; p < kh * kw; p++) {
      const g = toByte(pick(p), scale);
      data.set([g, g, g, 255], p * 4);
    }
    return upscale({ width: kw, height: kh, data }, scaleBy);
  };
  const tiles: RgbaImage[] = [];
  if (depthwise) {
    for (let c = 0; c < cin * cout; c++) tiles.push(tile((p) => w[p * cin * cout + c]!));
    return tileGrid(tiles, { gap: 1 });
  }
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) tiles.push(tile((p) => w[(p * cin + i) * cout + o]!));
  }
  // 1×1 kernels become one pixel each: lay them out without gaps, so the layer reads as its weight matrix.
  return tileGrid(tiles, { columns: cin, gap: kh === 1 ? 0 : 1 });
}

