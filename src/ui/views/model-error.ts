import { LitElement, css, html } from 'lit';

/**
 * Full-panel error screen for when the network cannot run (a model file missing or damaged, the worker failing
 * again and again, a lost GPU that could not be recovered): what failed, what to do, and a "Try again" button
 * (focused, so Enter or Space retries) that fires `retry`. The app restarts the worker and loads again: no
 * page reload, and nothing damaged is kept (the worker verifies every model file against its pinned SHA-256).
 */
export class ModelError extends LitElement {
  static override properties = { heading: {}, message: {}, visitor: { type: Boolean } };
  static override styles = css`
    :host { position: fixed; inset: 0; z-index: 50; display: grid; place-items: center; background: rgba(10, 10, 10, .97); }
    section { max-width: 40rem; margin: 1rem; padding: 1.5rem 2rem; background: #2a1414; border: 2px solid #f66; border-radius: .5rem; font-size: 1.2rem; line-height: 1.45; }
    h2 { margin: 0 0 .75rem; font-size: 1.6rem; }
    .what { font-weight: 700; overflow-wrap: anywhere; }
    button { font: inherit; font-weight: 700; color: #000; background: #f6a21a; border: 0; border-radius: .35rem; padding: .6rem 1.4rem; min-height: 2.75rem; cursor: pointer; }
    button:focus-visible { outline: 3px solid #6cf; outline-offset: 3px; }
  `;
  heading = 'The model could not be loaded';
  message = '';
  /** A kiosk visitor reads it: plain words and "call staff"; the operator's detail is in the HUD and the console. */
  visitor = false;

  override render() {
    if (this.visitor) {
      return html`<section role="alertdialog" aria-modal="true" aria-labelledby="heading" aria-describedby="todo">
        <h2 id="heading">${this.heading}</h2>
        <p id="todo">This exhibit is not working at the moment. Please tell a member of staff. It keeps trying again by itself.</p>
        <button @click=${this.retry}>Try again</button>
      </section>`;
    }
    return html`<section role="alertdialog" aria-modal="true" aria-labelledby="heading" aria-describedby="what todo">
      <h2 id="heading">${this.heading}</h2>
      <p id="what" class="what" data-testid="model-error-message">${this.message}</p>
      <p id="todo">Check that this computer is connected to the network (or that the kiosk server is running) and try
        again. If the same file is reported missing or damaged again, the app's copy of the model needs reinstalling:
        run <code>npm run setup</code> on the server, or clear this site's data and reload.</p>
      <button @click=${this.retry}>Try again</button>
    </section>`;
  }

  override updated(): void {
    this.renderRoot.querySelector('button')?.focus();
  }

  private retry = (): void => {
    this.dispatchEvent(new CustomEvent('retry', { bubbles: true, composed: true }));
  };
}
customElements.define('model-error', ModelError);
