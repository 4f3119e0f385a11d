import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { activationGrid, activationMaps, channelMap, channelStats } from '../src/core/activations';
import { InvalidInputError } from '../src/core/errors';
import { kernelTiles, rgbFilterTiles } from '../src/core/filters';
import { modelInput, net } from './helpers';

describe('activation maps', () => {
  it('channel statistics match a hand-computed case', () => {
    // 2×2 positions, 2 channels: channel 0 = [1, 2, 3, 4], channel 1 = [0, 0, 5, -1]
    const data = Float32Array.from([1, 0, 2, 0, 3, 5, 4, -1]);
    expect(channelStats(data, [2, 2, 2])).toEqual([
      { mean: 2.5, max: 4, active: 1 },
      { mean: 1, max: 5, active: 0.25 },
    ]);
  });

  it('reads a layer of the real model, equal to the reference layer output, and normalises per channel', async () => {
    const model = await net('lite');
    const { tensor } = modelInput('coffee.png');
    const maps = await activationMaps(model, tensor, 'conv_pw_2_relu');
    expect(maps.shape).toEqual([56, 56, 32]);
    const reference = tf.model({ inputs: model.reference.inputs, outputs: model.reference.getLayer('conv_pw_2_relu').output as tf.SymbolicTensor });
    const expected = (reference.predict(tensor) as tf.Tensor).dataSync();
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(expected[i]! - maps.data[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
    const strongest = maps.channels.reduce((b, c, k) => (c.max > maps.channels[b]!.max ? k : b), 0);
    const own = channelMap(maps, strongest, 'channel');
    expect(Math.max(...own)).toBeCloseTo(1, 6);
    const weakest = maps.channels.reduce((b, c, k) => (c.max > 0 && c.max < maps.channels[b]!.max ? k : b), strongest);
    const byLayer = channelMap(maps, weakest, 'layer');
    expect(Math.max(...byLayer)).toBeCloseTo(maps.channels[weakest]!.max / maps.channels[strongest]!.max, 5);
    expect(() => channelMap(maps, 32)).toThrow(InvalidInputError);
    const grid = activationGrid(maps);
    expect(grid.width).toBe(6 * 56 + 7); // ceil(sqrt(32)) = 6 columns of 56-pixel tiles (scale 1)
    tensor.dispose();
  });
});

describe('filters', () => {
  it('first-layer RGB tiles map each kernel weight to 0.5 + 0.5·w/max|w|', async () => {
    const model = await net('lite');
    const picture = await rgbFilterTiles(model, 'conv1', 1);
    expect([picture.width, picture.height]).toEqual([3 * 3 + 4 * 2, 3 * 3 + 4 * 2]); // 8 tiles of 3×3, gap 2
    const { kernel } = model.kernel('conv1');
    const w = kernel.arraySync() as number[][][][];
    kernel.dispose();
    let scale = 0;
    for (const row of w) for (const px of row) for (const ch of px) scale = Math.max(scale, Math.abs(ch[0]!));
    // Filter 0 sits at (2, 2); its pixel (1, 2) channel G:
    const g = w[2]![1]![1]![0]!;
    expect(picture.data[((2 + 2) * picture.width + 2 + 1) * 4 + 1]).toBe(Math.round(255 * (0.5 + (0.5 * g) / scale)));
  });

  it('depthwise and pointwise kernels become grayscale tiles; non-conv layers are refused', async () => {
    const model = await net('lite');
    const dw = await kernelTiles(model, 'conv_dw_1', 1);
    expect(dw.width).toBe(3 * 3 + 4); // 8 channels → 3 columns of 3-pixel tiles with 1-pixel gaps
    const pw = await kernelTiles(model, 'conv_pw_1');
    expect([pw.width, pw.height]).toEqual([8, 16]); // the 8 → 16 weight matrix, one pixel per weight
    for (let i = 0; i < pw.data.length; i += 4) expect(pw.data[i]).toBe(pw.data[i + 1]);
    expect(() => model.kernel('conv_pw_1_relu')).toThrow(/is not a convolution/);
  });
});
