import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { gradCam } from '../src/core/attribution';
import { backgroundCheck, centreBox, massInside } from '../src/core/bias';
import { net, modelInput } from './helpers';

/**
 * The bias lesson's measure (issue 12): share of an explanation's mass on the object (by default the centred half
 * of the picture, where a visitor holds it) against a flat map's share.
 */
describe('backgroundCheck', () => {
  it('hand-computed maps: all inside, flat, all outside', () => {
    const box = centreBox(8, 8, 0.25); // the centred 4 × 4
    expect(box).toEqual({ x: 2, y: 2, width: 4, height: 4 });
    const centre = new Float32Array(64).map((_, i) => (Math.floor(i / 8) >= 2 && Math.floor(i / 8) < 6 && i % 8 >= 2 && i % 8 < 6 ? 1 : 0));
    expect(massInside(centre, 8, 8, box)).toBe(1);
    expect(backgroundCheck(new Float32Array(64).fill(3), 8, 8, box)).toMatchObject({ objectShare: 0.25, flatShare: 0.25, looksAtBackground: false });
    const corner = new Float32Array(64);
    corner[0] = 5;
    expect(backgroundCheck(corner, 8, 8, box)).toMatchObject({ objectShare: 0, looksAtBackground: true });
    expect(() => massInside(new Float32Array(3), 2, 2, box)).toThrow(/needs 4 values/);
  });

  it('on a real photo: Grad-CAM of the espresso is on the cup in the middle, and off the centre when the cup is moved to a corner', async () => {
    const lite = await net('lite');
    const centred = modelInput('coffee.png');
    // The same picture shrunk to 64 × 64 and pasted into the top-left corner of a mid-grey frame.
    const moved = tf.tidy(() => {
      const small = tf.image.resizeBilinear(centred.tensor, [64, 64]);
      return tf.pad(small, [[0, 0], [0, 160], [0, 160], [0, 0]]) as tf.Tensor4D;
    });
    const crop = { x: 0, y: 0, width: 224, height: 224 };
    const a = await gradCam(lite, centred, { target: { kind: 'class', index: 967 } }); // espresso
    const b = await gradCam(lite, { tensor: moved, crop }, { target: { kind: 'class', index: 967 } });
    const inMiddle = backgroundCheck(a.data, a.width, a.height);
    const inCorner = backgroundCheck(b.data, b.width, b.height);
    console.log(`bias: espresso Grad-CAM share in the centred half: centred cup ${inMiddle.objectShare.toFixed(3)}, cup in a corner ${inCorner.objectShare.toFixed(3)} (flat ${inMiddle.flatShare.toFixed(3)})`);
    expect(inMiddle.looksAtBackground).toBe(false);
    expect(inCorner.looksAtBackground).toBe(true);
    // With the object's own box, the moved cup's map is back on the object.
    expect(backgroundCheck(b.data, b.width, b.height, { x: 0, y: 0, width: 64, height: 64 }).looksAtBackground).toBe(false);
    tf.dispose([centred.tensor, moved]);
  }, 120_000);
});
