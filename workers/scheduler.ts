/**
 * Latest wins: while a frame is being processed, a newer frame replaces the one waiting (which is discarded, e.g.
 * its ImageBitmap closed); nothing queues, so latency stays bounded by one frame of work. Used on both sides:
 * the page only posts when the worker is free, and the worker keeps only the newest frame that arrives.
 */
export class LatestWins<T> {
  private busy = false;
  private waiting: { item: T } | undefined;
  processed = 0;
  dropped = 0;

  constructor(
    private readonly handle: (item: T) => Promise<void>,
    private readonly discard: (item: T) => void = () => undefined,
  ) {}

  /** True while an item is being handled. */
  get running(): boolean {
    return this.busy;
  }

  offer(item: T): void {
    if (this.busy) {
      if (this.waiting) {
        this.discard(this.waiting.item);
        this.dropped++;
      }
      this.waiting = { item };
      return;
    }
    void this.drain(item);
  }

  /** Discards the waiting item (e.g. when the source stops). */
  clear(): void {
    if (this.waiting) {
      this.discard(this.waiting.item);
      this.dropped++;
      this.waiting = undefined;
    }
  }

  private async drain(first: T): Promise<void> {
    this.busy = true;
    let item: T | undefined = first;
    while (item !== undefined) {
      try {
        await this.handle(item);
      } catch {
        // The handler reports its own errors; one bad frame must not stop the stream.
      }
      this.processed++;
      item = this.waiting?.item;
      this.waiting = undefined;
    }
    this.busy = false;
  }
}
