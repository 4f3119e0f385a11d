import { describe, expect, it } from 'vitest';
import { LatestWins } from '../workers/scheduler';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('latest-frame-wins scheduler', () => {
  it('handles the newest frame next and discards the ones it replaced; nothing queues', async () => {
    const handled: number[] = [];
    const discarded: number[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const s = new LatestWins<number>(
      async (n) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await tick(20);
        handled.push(n);
        concurrent--;
      },
      (n) => discarded.push(n),
    );
    for (let frame = 1; frame <= 10; frame++) {
      s.offer(frame);
      await tick(3); // frames arrive every 3 ms, work takes 20 ms
    }
    await tick(100);
    expect(handled[0]).toBe(1);
    expect(handled.at(-1)).toBe(10); // the last frame is always processed
    expect(maxConcurrent).toBe(1);
    expect([...handled, ...discarded].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(handled.length).toBeLessThanOrEqual(3);
    expect(s.dropped).toBe(discarded.length);
    expect(s.running).toBe(false);
  });

  it('keeps going after a handler error', async () => {
    const handled: number[] = [];
    const s = new LatestWins<number>(async (n) => {
      await tick(5);
      if (n === 1) throw new Error('bad frame');
      handled.push(n);
    });
    s.offer(1);
    s.offer(2);
    await tick(30);
    expect(handled).toEqual([2]);
    expect(s.processed).toBe(2);
  });
});
