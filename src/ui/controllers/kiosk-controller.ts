import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { IdleSchedule } from '../idle-schedule';
import type { KioskConfig } from '../kiosk-config';

/** The screen wake lock: held, released (page hidden), not offered by the browser, or refused. */
export type WakeLockState = 'held' | 'released' | 'unsupported' | 'refused';

/** What the kiosk controller asks of the app. */
export interface KioskHooks {
  /** The attract loop started (step 0) or moved on to its next view. */
  attractStep(step: number): void;
  attractStopped(): void;
  /** Nobody touched the kiosk for the idle-reset time: forget the visitor's session. */
  idleReset(): void;
  /** `attract` or `wakeLock` may have changed. */
  changed(): void;
}

/**
 * Kiosk behaviour around the app: fullscreen on the first touch (browsers only allow it after a gesture; an
 * operator can start Chromium with --kiosk instead), a screen wake lock held while visible, no context menu, no
 * text selection, no navigating away (dropped files, history back, pinch/ctrl zoom), and the idle clock that
 * drives the attract loop and the idle reset.
 */
export class KioskController implements ReactiveController {
  wakeLock: WakeLockState = 'released';
  private sentinel: WakeLockSentinel | undefined;
  private readonly schedule: IdleSchedule;
  private timer: ReturnType<typeof setInterval> | undefined;
  private step = 0;

  constructor(
    host: ReactiveControllerHost,
    config: KioskConfig,
    private readonly hooks: KioskHooks,
  ) {
    this.schedule = new IdleSchedule(
      { attractAfterMs: config.attractAfterSeconds * 1000, attractStepMs: config.attractViewSeconds * 1000, idleResetMs: config.idleResetSeconds * 1000 },
      performance.now(),
    );
    host.addController(this);
  }

  get attract(): boolean {
    return this.schedule.attract;
  }

  hostConnected(): void {
    for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const) window.addEventListener(type, this.onInteraction, { capture: true, passive: true });
    window.addEventListener('contextmenu', this.prevent, { capture: true });
    // A file dropped outside a drop zone would make the browser open it, leaving the app.
    window.addEventListener('dragover', this.prevent);
    window.addEventListener('drop', this.prevent);
    window.addEventListener('wheel', this.onWheel, { passive: false });
    window.addEventListener('popstate', this.onPopState);
    document.addEventListener('visibilitychange', this.onVisibility);
    history.pushState({ kiosk: true }, '');
    document.documentElement.classList.add('kiosk');
    this.timer = setInterval(this.onTick, 250);
    void this.requestWakeLock();
  }

  hostDisconnected(): void {
    for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const) window.removeEventListener(type, this.onInteraction, { capture: true });
    window.removeEventListener('contextmenu', this.prevent, { capture: true });
    window.removeEventListener('dragover', this.prevent);
    window.removeEventListener('drop', this.prevent);
    window.removeEventListener('wheel', this.onWheel);
    window.removeEventListener('popstate', this.onPopState);
    document.removeEventListener('visibilitychange', this.onVisibility);
    clearInterval(this.timer);
    void this.sentinel?.release();
  }

  private readonly prevent = (event: Event): void => event.preventDefault();

  private readonly onWheel = (event: WheelEvent): void => {
    if (event.ctrlKey) event.preventDefault(); // ctrl+wheel and trackpad pinch zoom the page
  };

  /** "Back" (a mouse button, a gesture, Alt+←) would leave the app: stay on it. */
  private readonly onPopState = (): void => history.pushState({ kiosk: true }, '');

  /**
   * The idle clock stands still until the first frame is on screen (loading is not idleness): no attract loop
   * and no reset while the model loads.
   */
  private waiting = true;

  /** Starts the idle clock afresh (the first frame after a load, or a touch); the first call also starts it. */
  restartClock(): void {
    this.waiting = false;
    for (const event of this.schedule.touch(performance.now())) if (event.type === 'attract-stop') this.hooks.attractStopped();
    this.hooks.changed();
  }

  private readonly onInteraction = (): void => {
    if (!this.waiting) this.restartClock();
    if (!document.fullscreenElement && document.fullscreenEnabled) {
      document.documentElement.requestFullscreen({ navigationUI: 'hide' }).catch(() => undefined); // refused without a gesture: try again next touch
    }
    this.hooks.changed();
  };

  private readonly onTick = (): void => {
    if (this.waiting) return;
    const events = this.schedule.tick(performance.now());
    if (events.length === 0) return;
    for (const event of events) {
      if (event.type === 'reset') this.hooks.idleReset();
      else if (event.type === 'attract-start') this.hooks.attractStep((this.step = 0));
      else if (event.type === 'attract-step') this.hooks.attractStep(++this.step);
    }
    this.hooks.changed();
  };

  /** The lock is released whenever the page is hidden; take it again when it is visible. */
  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'visible') void this.requestWakeLock();
  };

  private async requestWakeLock(): Promise<void> {
    if (!('wakeLock' in navigator)) {
      this.wakeLock = 'unsupported';
      return;
    }
    try {
      this.sentinel = await navigator.wakeLock.request('screen');
      this.wakeLock = 'held';
      this.sentinel.addEventListener('release', () => {
        this.wakeLock = 'released';
        this.hooks.changed();
      });
    } catch {
      this.wakeLock = 'refused';
    }
    this.hooks.changed();
  }
}
