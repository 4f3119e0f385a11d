/**
 * Camera unplugged and plugged in again: after the live track ends (or no camera is found at start), the app
 * shows a sample picture and keeps looking for the camera — on every 'devicechange' and on a timer with backoff
 * (2 s, 3 s, then every 5 s) — until it opens, then switches back by itself. It stops looking as soon as the
 * visitor picks another source themselves.
 */
export class CameraReconnect {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private trying = false;
  private active = false;

  /** `tryOpen` opens and shows the camera, resolving true when it did (false or a rejection: try later). */
  constructor(
    private readonly tryOpen: () => Promise<boolean>,
    private readonly delaysMs: readonly number[] = [2000, 3000, 5000],
    /** Where 'devicechange' is announced (absent outside browsers). */
    private readonly devices: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | undefined = (globalThis as { navigator?: Navigator }).navigator?.mediaDevices,
  ) {}

  /** Looking for the camera now. */
  get watching(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.attempts = 0;
    this.devices?.addEventListener?.('devicechange', this.onDeviceChange);
    this.schedule();
  }

  stop(): void {
    this.active = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.devices?.removeEventListener?.('devicechange', this.onDeviceChange);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const delay = this.delaysMs[Math.min(this.attempts, this.delaysMs.length - 1)]!;
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  private onDeviceChange = (): void => void this.attempt();

  private async attempt(): Promise<void> {
    if (!this.active || this.trying) return;
    this.trying = true;
    this.attempts++;
    const opened = await this.tryOpen()
      .catch(() => false)
      .finally(() => (this.trying = false));
    if (!this.active) return; // the visitor chose another source meanwhile
    if (opened) this.stop();
    else this.schedule();
  }
}

/** Errors after which the camera may come back by itself (unplugged, busy), unlike a refused permission. */
export function cameraMayReturn(err: unknown): boolean {
  const name = err instanceof DOMException ? err.name : '';
  return name === 'NotFoundError' || name === 'NotReadableError' || name === 'OverconstrainedError' || name === 'AbortError';
}
