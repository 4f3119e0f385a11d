import { LitElement, css, html } from 'lit';
import { controlStyles } from '../control-styles';
import { SHORTCUTS, type Shortcut, keyLabel } from '../shortcuts';

/** The `?` overlay: every keyboard shortcut, grouped, read from the same table the key handler uses. */
export class ShortcutHelp extends LitElement {
  static override styles = [controlStyles, css`
    :host { position: fixed; inset: 0; display: grid; place-items: center; background: rgba(0, 0, 0, .75); z-index: 20; }
    /* Groups side by side as far as the screen allows; the list scrolls inside the dialog, never off screen. */
    [role='dialog'] { box-sizing: border-box; width: min(78rem, calc(100vw - 2rem)); max-height: calc(100vh - 2rem); overflow: auto; background: #1c1c1c; color: #eee; border: 1px solid #555; border-radius: .5rem; padding: 1rem 1.5rem;
      display: grid; grid-template-columns: repeat(auto-fill, minmax(min(19rem, 100%), 1fr)); gap: 0 2rem; align-content: start; }
    h2, button { grid-column: 1 / -1; }
    h2 { margin: 0 0 .25rem; font-size: 1.4em; }
    h3 { font-size: 1em; color: #f6c36a; margin: .6rem 0 .3rem; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: .2rem .75rem; margin: 0; }
    dd { margin: 0; }
    dt { text-align: right; white-space: nowrap; }
    kbd { font: inherit; background: #333; border: 1px solid #777; border-radius: .25rem; padding: 0 .35rem; }
    button { justify-self: start; margin-top: 1rem; }
  `];

  override firstUpdated(): void {
    this.renderRoot.querySelector('button')?.focus();
  }

  override render() {
    const groups = new Map<Shortcut['group'], Shortcut[]>();
    for (const s of SHORTCUTS) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
    return html`<div role="dialog" aria-modal="true" aria-labelledby="title">
      <h2 id="title">Keyboard shortcuts</h2>
      ${[...groups].map(
        ([group, list]) => html`<section><h3>${group}</h3>
          <dl>${list.map((s) => html`<dt>${s.keys.map((k, i) => html`${i ? ' or ' : ''}<kbd>${keyLabel(k)}</kbd>`)}</dt><dd>${s.description}</dd>`)}</dl></section>`,
      )}
      <button @click=${() => this.dispatchEvent(new CustomEvent('close', { bubbles: true, composed: true }))}>Close (Esc)</button>
    </div>`;
  }
}
customElements.define('shortcut-help', ShortcutHelp);
