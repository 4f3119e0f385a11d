import { describe, expect, it } from 'vitest';
import { HOME_VIEW, MAX_SCALE, applyView, clusterLabels, fitPoints, fitTransform, panBy, separateLabels, thumbnailSide, zoomAt } from '../src/ui/map-layout';

describe('gallery map geometry (src/ui/map-layout.ts)', () => {
  it('fits the embedding by stretching each axis to the canvas, and maps other points the same way', () => {
    // x spans 0..4 onto 10..90 (20 px per unit), y spans 0..2 onto 10..90 (40 px per unit).
    const points = [{ x: 0, y: 0 }, { x: 4, y: 2 }, { x: 1, y: 1.5 }];
    expect(fitPoints(points, 100, 10)).toEqual([{ x: 10, y: 10 }, { x: 90, y: 90 }, { x: 30, y: 70 }]);
    expect(fitTransform(points, 100, 10)({ x: 5, y: -1 })).toEqual({ x: 110, y: -30 });
    expect(fitPoints([{ x: 3, y: 3 }], 100, 10)).toEqual([{ x: 50, y: 50 }]); // one picture: the centre
  });

  it('keeps labels that do not overlap, in order', () => {
    const labels = [{ label: 'Apple', x: 100, y: 100, count: 3 }, { label: 'Pear', x: 120, y: 110, count: 3 }, { label: 'Melon', x: 100, y: 140, count: 2 }, { label: 'Kiwi', x: 200, y: 100, count: 2 }];
    // 10 px per character, 30 px high: Pear (80..160 × 95..125) meets Apple (75..125 × 85..115); Melon is 40 px lower.
    expect(separateLabels(labels, (l) => 10 * l.length, 30).map((c) => c.label)).toEqual(['Apple', 'Melon', 'Kiwi']);
  });

  it('zooms about the given point, within [1, MAX_SCALE], and never pans past the map edge', () => {
    const at = { x: 300, y: 600 };
    const z = zoomAt(HOME_VIEW, 2, at, 960);
    expect(z).toEqual({ scale: 2, tx: -300, ty: -600 });
    expect(applyView(at, z)).toEqual(at); // the point under the cursor stays put
    expect(zoomAt(HOME_VIEW, 0.5, at, 960)).toEqual(HOME_VIEW);
    expect(zoomAt(z, 100, at, 960).scale).toBe(MAX_SCALE);
    expect(panBy(z, 1000, -1000, 960)).toEqual({ scale: 2, tx: 0, ty: -960 });
    expect(panBy(HOME_VIEW, 50, 50, 960)).toEqual(HOME_VIEW);
  });

  it('sizes thumbnails 0.9·size/√n, growing with √zoom, between 32 and 128 px', () => {
    expect(thumbnailSide(190, 960, 1)).toBe(63);
    expect(thumbnailSide(190, 960, 4)).toBe(125);
    expect(thumbnailSide(7, 960, 1)).toBe(128);
    expect(thumbnailSide(5000, 960, 1)).toBe(32);
  });

  it('labels a class where at least two of its pictures lie within the radius of its median, and no scattered class', () => {
    const points = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 500, y: 500 }, { x: 100, y: 100 }, { x: 400, y: 100 }, { x: 800, y: 100 }, { x: 5, y: 5 }];
    const labels = ['Apple', 'Apple', 'Apple', 'Melon', 'Melon', 'Melon', undefined];
    // Apple: median (10, 0); (0,0) and (10,0) are within 20, (500,500) is not → label at their mean (5, 0).
    expect(clusterLabels(points, labels, 20)).toEqual([{ label: 'Apple', x: 5, y: 0, count: 2 }]);
    expect(clusterLabels(points, labels, 400).map((c) => c.label)).toEqual(['Melon', 'Apple']);
  });
});
