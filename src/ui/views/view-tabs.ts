import { css, html, nothing } from 'lit';
import { controlStyles } from '../control-styles';
import { captionText } from '../live-status';
import { AppView } from './app-view';

/** The live views as tabs (roving focus: one tab stop, arrow keys move it) and the current view's caption. */
export class ViewTabs extends AppView {
  protected readonly watch = ['views', 'settings', 'strings', 'frame', 'frameSettings'] as const;
  static override styles = [controlStyles, css`
    :host { display: block; }
    [role='tablist'] { display: flex; gap: .25rem; flex-wrap: wrap; }
    [role='tab'] { flex: 0 1 auto; }
    [role='tab'][aria-selected='true'] { background: #f6a21a; color: #000; border-color: #f6a21a; }
    .caption { font-size: 1.25em; line-height: 1.4; margin: .5rem 0; min-height: 2.8em; }
    :host(.lecture) .caption { font-size: 1.8rem; }
    :host(.kiosk) [role='tab'] { font-size: 1.15em; min-width: 7em; min-height: 3.5rem; }
    :host(.kiosk) .caption { font-size: 2rem; }
    @media (max-width: 600px) {
      [role='tablist'] { display: grid; grid-template-columns: repeat(auto-fit, minmax(6.5rem, 1fr)); }
      [role='tab'], :host(.kiosk) [role='tab'] { padding-inline: .4rem; min-width: 0; font-size: 1em; }
      .caption { font-size: 1.05em; min-height: 0; }
      :host(.kiosk) .caption, :host(.lecture) .caption { font-size: 1.3em; }
    }
  `];

  override render() {
    const s = this.state;
    if (!s || !this.actions) return nothing;
    const actions = this.actions;
    const view = s.settings.view;
    return html`<div role="tablist" aria-label="Live views">
        ${s.views.map(
          (v, i) => html`<button role="tab" aria-selected=${v === view} tabindex=${v === view ? 0 : -1} title="Key ${i + 1}" @click=${() => actions.setView(v)}>${s.strings.viewNames[v]}</button>`,
        )}
      </div>
      <p class="caption" aria-live="polite">${captionText(s)}</p>`;
  }

  /** Puts the focus on the selected tab (after arrow keys moved the selection). */
  async focusSelected(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]')?.focus();
  }
}
customElements.define('view-tabs', ViewTabs);
