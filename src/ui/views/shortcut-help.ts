import { LitElement, css, html } from 'lit';
import { controlStyles } from '../control-styles';
import { SHORTCUTS, type Shortcut, keyLabel } from '../shortcuts';

/** The `?` overlay: every keyboard shortcut, grouped, read from the same table the key handler uses. */
export class ShortcutHelp extends LitElement {
  static override styles = [controlStyles, css`
    :host { position: fixed; inset: 0; display: grid; place-items: center; background: rgba(0, 0, 0, .75); z-index: 20; }
    [role='dialog'] { background: #1c1c1c; color: #eee; border: 1px solid #555; border-radius: .5rem; padding: 1rem 1.5rem; max-height: 90vh; overflow: auto; columns: 2 22rem; column-gap: 2rem; }
    h2 { column-span: all; margin: 0 0 .5rem; font-size: 1.4em; }
    h3 { font-size: 1em; color: #f6c36a; margin: .8rem 0 .3rem; break-after: avoid; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem .75rem; margin: 0; break-inside: avoid; }
    dt { text-align: right; white-space: nowrap; }
    kbd { font: inherit; background: #333; border: 1px solid #777; border-radius: .25rem; padding: 0 .35rem; }
    button { column-span: all; display: block; margin-top: 1rem; }
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
        ([group, list]) => html`<h3>${group}</h3>
          <dl>${list.map((s) => html`<dt>${s.keys.map((k, i) => html`${i ? ' or ' : ''}<kbd>${keyLabel(k)}</kbd>`)}</dt><dd>${s.description}</dd>`)}</dl>`,
      )}
      <button @click=${() => this.dispatchEvent(new CustomEvent('close', { bubbles: true, composed: true }))}>Close (Esc)</button>
    </div>`;
  }
}
customElements.define('shortcut-help', ShortcutHelp);
