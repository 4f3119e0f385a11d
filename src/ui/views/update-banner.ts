import { LitElement, css, html, nothing } from 'lit';
import { controlStyles } from '../control-styles';
import { type AppUpdates, appUpdates } from '../pwa';

/** How long the one-time "Ready to work offline" notice stays. */
const OFFLINE_NOTICE_MS = 6000;

/**
 * Announces a new version ("Reload now" / "Later") and, once, that the app now works offline. Never reloads on
 * its own. A polite status region that is always in the DOM, so screen readers hear what appears in it; the
 * buttons are ordinary buttons (Tab, Enter, Space) with a visible focus ring. It does not take focus.
 */
export class UpdateBanner extends LitElement {
  static override properties = {
    showUpdate: { state: true },
    showOffline: { state: true },
  };

  static override styles = [controlStyles, css`
    :host { position: fixed; right: 1rem; bottom: 1rem; z-index: 20; max-width: min(28rem, calc(100vw - 2rem)); pointer-events: none; }
    .box { pointer-events: auto; background: #1e1e1e; color: #eee; border: 1px solid #f6a21a; border-radius: .5rem; padding: .75rem 1rem; box-shadow: 0 .25rem 1rem rgba(0,0,0,.6); display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin-top: .5rem; }
    .box.quiet { border-color: #555; }
    p { margin: 0; flex: 1 1 12rem; font-size: 1.05rem; }
    .actions { display: flex; gap: .5rem; }
    button.primary { background: #f6a21a; color: #000; border-color: #f6a21a; }
  `];

  showUpdate = false;
  showOffline = false;
  /** Which controller to follow (tests may pass their own). */
  updates: AppUpdates = appUpdates;

  private unsubscribe: (() => void)[] = [];
  private offlineTimer: ReturnType<typeof setTimeout> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = [
      this.updates.on('update-ready', () => {
        this.showUpdate = true;
      }),
      this.updates.on('offline-ready', () => this.announceOffline()),
    ];
    this.showUpdate = this.updates.updateReady;
    if (this.updates.offlineJustInstalled) this.announceOffline();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    clearTimeout(this.offlineTimer);
  }

  private announceOffline(): void {
    if (!this.updates.offlineJustInstalled) return;
    this.showOffline = true;
    clearTimeout(this.offlineTimer);
    this.offlineTimer = setTimeout(() => {
      this.showOffline = false;
    }, OFFLINE_NOTICE_MS);
  }

  private reload(): void {
    if (!this.updates.applyUpdate()) this.showUpdate = false;
  }

  private later(): void {
    this.showUpdate = false;
  }

  override render() {
    return html`<div role="status" aria-live="polite" aria-atomic="true">
      ${this.showUpdate
        ? html`<div class="box" data-testid="update-banner">
            <p>A new version of ConvLens is ready.</p>
            <div class="actions">
              <button class="primary" @click=${this.reload}>Reload now</button>
              <button @click=${this.later}>Later</button>
            </div>
          </div>`
        : nothing}
      ${this.showOffline ? html`<div class="box quiet" data-testid="offline-ready"><p>Ready to work offline.</p></div>` : nothing}
    </div>`;
  }
}
customElements.define('update-banner', UpdateBanner);

declare global {
  interface HTMLElementTagNameMap {
    'update-banner': UpdateBanner;
  }
}
