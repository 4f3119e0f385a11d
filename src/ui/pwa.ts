/// <reference types="vite/client" />
import { Workbox } from 'workbox-window';

/**
 * The service worker from the page's side (production builds only; `npm run dev` has none).
 *
 * A new version is announced, never forced: when a newer service worker has installed and is waiting,
 * `updateReady` turns true and 'update-ready' fires; nothing reloads until `applyUpdate()` is called (the
 * visitor's "Reload now", or the kiosk when idle). Kiosks rarely navigate, so the page also asks for updates
 * every 30 minutes and whenever the network comes back.
 */

/** Events of {@link AppUpdates}: 'update-ready' (once per new waiting version), 'offline-ready', and 'change' after either. */
export type AppUpdateEventName = 'update-ready' | 'offline-ready' | 'change';

/** How often an open page checks for a new version. */
export const UPDATE_CHECK_MS = 30 * 60 * 1000;
/** applyUpdate() reloads after this long even if the new worker never takes control. */
const APPLY_TIMEOUT_MS = 10_000;

export class AppUpdates extends EventTarget {
  /** A newer version has installed and waits for applyUpdate(). */
  updateReady = false;
  /** The app shell, both models and the gallery are cached: the app works without a network. */
  offlineReady = false;
  /** The first installation of the offline cache has just finished in this page (for a one-time notice). */
  offlineJustInstalled = false;

  private wb: Workbox | undefined;
  private registration: ServiceWorkerRegistration | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private reloading = false;
  private applying = false;
  /** The first installation failed and checkForUpdate() registered again, past workbox-window. */
  private reRegistered = false;
  /** The waiting worker last announced (workbox-window and our own watcher both report it). */
  private announced: ServiceWorker | undefined;

  /** True when this build registers a service worker here (production build, browser support). */
  get supported(): boolean {
    return import.meta.env.PROD && typeof navigator !== 'undefined' && 'serviceWorker' in navigator;
  }

  /** Registers /sw.js (once); a no-op in development builds and browsers without service workers. */
  async register(checkEveryMs = UPDATE_CHECK_MS): Promise<void> {
    if (!this.supported || this.wb) return;
    const url = `${import.meta.env.BASE_URL}sw.js`;
    const wb = new Workbox(url, { scope: import.meta.env.BASE_URL });
    this.wb = wb;
    // A newer worker finished installing and waits for the page (also fired at start for one left waiting).
    wb.addEventListener('waiting', (event) => this.markUpdateReady(event.sw));
    // The first installation activated: the precache is complete.
    wb.addEventListener('activated', (event) => {
      if (!event.isUpdate && !event.isExternal) this.markOfflineReady(true);
    });
    if (navigator.serviceWorker.controller) this.markOfflineReady(false);
    try {
      this.registration = await wb.register();
    } catch (err) {
      console.warn('ConvLens: service worker registration failed; the app works online only', err);
      return;
    }
    if (this.registration) this.watch(this.registration);
    this.timer = setInterval(() => void this.checkForUpdate(), checkEveryMs);
    window.addEventListener('online', () => void this.checkForUpdate());
  }

  /**
   * Asks the server for a new version now (also done on the timer and when the network comes back); errors
   * (offline) are ignored. If the very first installation failed (e.g. the network dropped mid-download, or a
   * model file failed its integrity check), the browser has dropped the registration: register again, so a
   * kiosk that never reloads still becomes offline-capable.
   */
  async checkForUpdate(): Promise<void> {
    if (!this.registration) return;
    try {
      const current = await navigator.serviceWorker.getRegistration(import.meta.env.BASE_URL);
      if (current) {
        await current.update();
        return;
      }
      this.registration = await navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL });
      this.reRegistered = true;
      this.watch(this.registration);
    } catch {
      // offline or server unreachable: try again on the next tick
    }
  }

  /**
   * Switches to the waiting version: tells it to take over, and reloads the page once it controls it.
   * Returns false (and does nothing) when no update is waiting.
   */
  applyUpdate(): boolean {
    const waiting = this.registration?.waiting;
    if (!this.updateReady || !this.wb || !waiting) return false;
    if (this.applying) return true;
    this.applying = true;
    const reload = (): void => {
      if (this.reloading) return;
      this.reloading = true;
      window.location.reload();
    };
    this.wb.addEventListener('controlling', reload);
    // Should the new worker never take control (it failed to activate), reload anyway: the visitor asked for it.
    setTimeout(reload, APPLY_TIMEOUT_MS);
    if (this.reRegistered) {
      // workbox-window only knows the first registration object; same message, same reload, by hand.
      navigator.serviceWorker.addEventListener('controllerchange', reload);
      waiting.postMessage({ type: 'SKIP_WAITING' });
    } else {
      this.wb.messageSkipWaiting();
    }
    return true;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on(name: AppUpdateEventName, listener: () => void): () => void {
    this.addEventListener(name, listener);
    return () => this.removeEventListener(name, listener);
  }

  /** Stops the update timer (tests, teardown). */
  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * workbox-window stops following updates after the first one it deems external (another tab, or found long
   * after registering), and a kiosk page lives for days: follow every installing worker natively as well
   * (and any registration made again by checkForUpdate()).
   */
  private watch(registration: ServiceWorkerRegistration): void {
    const follow = (sw: ServiceWorker | null): void => {
      sw?.addEventListener('statechange', () => {
        if (sw.state === 'installed' && navigator.serviceWorker.controller && registration.waiting === sw) this.markUpdateReady(sw);
        if (sw.state === 'activated') this.markOfflineReady(true); // no-op unless this was the first installation
      });
    };
    follow(registration.installing);
    registration.addEventListener('updatefound', () => follow(registration.installing));
    if (registration.waiting && navigator.serviceWorker.controller) this.markUpdateReady(registration.waiting);
  }

  private markUpdateReady(sw: ServiceWorker | undefined): void {
    if (!sw || sw === this.announced) return;
    this.announced = sw;
    this.updateReady = true;
    this.emit('update-ready');
    this.emit('change');
  }

  private markOfflineReady(justInstalled: boolean): void {
    if (this.offlineReady) return;
    this.offlineReady = true;
    this.offlineJustInstalled = justInstalled;
    this.emit('offline-ready');
    this.emit('change');
  }

  private emit(name: AppUpdateEventName): void {
    this.dispatchEvent(new Event(name));
  }
}

/** The page's one controller (the kiosk calls `appUpdates.applyUpdate()` when idle and `updateReady` is true). */
export const appUpdates = new AppUpdates();

/** Switches to a waiting new version and reloads; false when none waits. */
export function applyUpdate(): boolean {
  return appUpdates.applyUpdate();
}
