import { describe, expect, it } from 'vitest';
import { EtaEstimator, elapsedText, timeLeftText } from '../src/core/eta';
import { BatchPacer, pacedSizes } from '../src/core/pacing';

/** The job's time estimate and the pacing of its units of work: pure logic, hand-computed cases. */

describe('EtaEstimator', () => {
  it('constant rate: exact from the first report (250 ms per unit, 40 units)', () => {
    const eta = new EtaEstimator(1000);
    for (let done = 1; done <= 40; done++) {
      const e = eta.update(done, 40, 1000 + 250 * done);
      expect(e.etaSeconds).toBeCloseTo((40 - done) * 0.25, 9);
      expect(e.elapsedSeconds).toBeCloseTo(done * 0.25, 9);
    }
  });

  it('a slow first unit (warm-up, 10× the others) is left out once a second report exists', () => {
    const eta = new EtaEstimator(0);
    // Unit 1 took 5 s (shader compilation), every later unit 0.5 s; 20 units in all.
    const first = eta.update(1, 20, 5000);
    expect(first.etaSeconds).toBeCloseTo(19 * 5, 9); // the only figure there is: pessimistic, not absent
    let t = 5000;
    for (let done = 2; done <= 20; done++) {
      t += 500;
      const e = eta.update(done, 20, t);
      expect(e.etaSeconds).toBeCloseTo((20 - done) * 0.5, 9);
    }
  });

  it('follows a change of pace within its window, and a total that grows (adaptive refinement)', () => {
    const eta = new EtaEstimator(0, { window: 4 });
    let t = 0;
    for (let done = 1; done <= 10; done++) eta.update(done, 32, (t += 100));
    // Pace halves (200 ms per unit): after `window` intervals the estimate is the new pace alone.
    let e = eta.update(11, 32, (t += 200));
    for (let done = 12; done <= 15; done++) e = eta.update(done, 32, (t += 200));
    expect(e.etaSeconds).toBeCloseTo((32 - 15) * 0.2, 9);
    // The path is refined: 96 units now; the estimate covers the 81 still to do at the same pace.
    e = eta.update(16, 96, t + 200);
    expect(e.etaSeconds).toBeCloseTo((96 - 16) * 0.2, 9);
  });

  it('no estimate before any unit is done; 0 when all are', () => {
    const eta = new EtaEstimator(0);
    expect(eta.update(0, 10, 800).etaSeconds).toBeUndefined();
    expect(eta.update(10, 10, 900).etaSeconds).toBe(0);
  });

  it('words: rounded so the number does not flicker', () => {
    expect(timeLeftText(3.2)).toBe('a few seconds left');
    expect(timeLeftText(12.4)).toBe('about 12 s left');
    expect(timeLeftText(43)).toBe('about 45 s left');
    expect(timeLeftText(150)).toBe('about 2.5 min left');
    expect(timeLeftText(1500)).toBe('about 25 min left');
    expect(elapsedText(7.9)).toBe('7 s');
    expect(elapsedText(65)).toBe('1 min 05 s');
  });
});

describe('BatchPacer', () => {
  it('allowed sizes: powers of two below the maximum, and the maximum', () => {
    expect(pacedSizes(16)).toEqual([1, 2, 4, 8, 16]);
    expect(pacedSizes(13)).toEqual([1, 2, 4, 8, 13]);
    expect(pacedSizes(1)).toEqual([1]);
  });

  it('fast backend: grows by doubling to the maximum and stays there', () => {
    const p = new BatchPacer({ max: 16, budgetMs: 400 });
    const sizes = [p.size];
    for (let i = 0; i < 6; i++) {
      p.record(p.size, 10 * p.size); // 10 ms per image
      sizes.push(p.size);
    }
    expect(sizes).toEqual([1, 2, 4, 8, 16, 16, 16]);
  });

  it('slow backend: each batch within the budget (900 ms per image → 1; 150 ms → 2)', () => {
    const slow = new BatchPacer({ max: 16, budgetMs: 400 });
    for (let i = 0; i < 5; i++) slow.record(slow.size, 900 * slow.size);
    expect(slow.size).toBe(1);
    const medium = new BatchPacer({ max: 16, budgetMs: 400 });
    for (let i = 0; i < 5; i++) medium.record(medium.size, 150 * medium.size);
    expect(medium.size).toBe(2); // 2 × 150 = 300 ≤ 400 < 4 × 150
  });

  it('shrinks at once when a batch runs over (the backend slowed down), grows back slowly', () => {
    const p = new BatchPacer({ max: 16, budgetMs: 400 });
    for (let i = 0; i < 5; i++) p.record(p.size, 20 * p.size);
    expect(p.size).toBe(16);
    p.record(16, 16 * 100); // 100 ms per image now
    expect(p.size).toBe(4);
    p.record(4, 4 * 20); // fast again: averaged in (60 ms per image) → 6 affordable → 4
    expect(p.size).toBe(4);
  });

  it('refuses a bad maximum or budget', () => {
    expect(() => new BatchPacer({ max: 0 })).toThrow(RangeError);
    expect(() => new BatchPacer({ max: 4, budgetMs: 0 })).toThrow(RangeError);
  });
});
