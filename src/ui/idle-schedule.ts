/**
 * The kiosk's idle clock as a pure state machine (times in ms are passed in, so tests need no timers): after
 * `attractAfter` without a touch the attract loop starts and steps every `attractStep`; after `idleReset` the
 * visitor's session is reset, once per idle period. Any touch ends the attract loop and re-arms the reset.
 */
export type IdleEvent = { type: 'attract-start' } | { type: 'attract-step' } | { type: 'attract-stop' } | { type: 'reset' };

/** The kiosk's idle times, in ms. */
export interface IdleTimes {
  attractAfterMs: number;
  attractStepMs: number;
  idleResetMs: number;
}

/** The idle clock: feed it touches and ticks, it answers with attract and reset events. */
export class IdleSchedule {
  private lastTouch: number;
  private attracting = false;
  private lastStep = 0;
  private resetDone = false;

  constructor(
    private readonly times: IdleTimes,
    now: number,
  ) {
    this.lastTouch = now;
  }

  get attract(): boolean {
    return this.attracting;
  }

  /** A visitor touched, clicked or typed. */
  touch(now: number): IdleEvent[] {
    this.lastTouch = now;
    this.resetDone = false;
    if (!this.attracting) return [];
    this.attracting = false;
    return [{ type: 'attract-stop' }];
  }

  /** Advances the clock; returns what became due since the last tick. */
  tick(now: number): IdleEvent[] {
    const idle = now - this.lastTouch;
    const events: IdleEvent[] = [];
    if (!this.resetDone && idle >= this.times.idleResetMs) {
      this.resetDone = true;
      events.push({ type: 'reset' });
    }
    if (!this.attracting && idle >= this.times.attractAfterMs) {
      this.attracting = true;
      this.lastStep = now;
      events.push({ type: 'attract-start' });
    } else if (this.attracting && now - this.lastStep >= this.times.attractStepMs) {
      this.lastStep = now;
      events.push({ type: 'attract-step' });
    }
    return events;
  }
}
