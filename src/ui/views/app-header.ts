import { css, html, nothing } from 'lit';
import { controlStyles } from '../control-styles';
import { AppView } from './app-view';

/**
 * The title bar: the title, what the app is doing, and Freeze (plus Export figure, the shortcut list and About —
 * the gallery's picture credits — outside kiosk mode). Operators see the model, backend and load times; kiosk visitors see plain words only (the HUD,
 * key h, and the console keep the technical text).
 */
export class AppHeader extends AppView {
  protected readonly watch = ['strings', 'backend', 'choice', 'model', 'status', 'visitorStatus', 'frozen', 'kiosk'] as const;
  static override styles = [controlStyles, css`
    :host { display: block; background: #181818; }
    header { display: flex; flex-wrap: wrap; gap: .35rem 1rem; align-items: center; padding: .4rem 1rem; }
    h1 { font-size: 1.4em; margin: 0; }
    .meta { display: flex; gap: .5rem; align-items: center; flex: 1 1 16rem; min-width: 0; font-size: .85em; }
    .badge { background: #2a2a2a; padding: .2rem .5rem; border-radius: .3rem; white-space: nowrap; }
    [role='status'] { color: #ccc; min-width: 0; overflow-wrap: anywhere; }
    .tools { display: flex; gap: .5rem; align-items: center; margin-left: auto; }
    button[aria-pressed='true'] { background: #6cf; color: #000; border-color: #6cf; }
    @media (orientation: landscape) and (max-height: 540px) {
      header { padding-block: .2rem; }
      .meta { font-size: .75em; }
    }
    @media (max-width: 600px) {
      header { padding: .3rem .6rem; }
      h1 { font-size: 1.15em; }
      .meta { order: 3; flex-basis: 100%; }
      .shortcuts { display: none; }
    }
  `];

  override render() {
    const s = this.state;
    const actions = this.actions;
    if (!s || !actions) return nothing;
    return html`<header>
      <h1>${s.strings.title}</h1>
      ${s.kiosk
        ? html`<span class="meta"><span role="status">${s.visitorStatus}</span></span>`
        : html`<span class="meta"><span class="badge" data-testid="backend" title=${s.choice?.reason || 'TensorFlow.js backend'}>${s.backend ?? '…'}${s.choice && s.choice.how !== 'forced' ? ' · auto' : ''}</span><span class="badge" title="model">${s.model}</span><span role="status">${s.status}</span></span>`}
      <span class="tools">
        <button aria-pressed=${s.frozen ? 'true' : 'false'} title="Space or f" @click=${() => actions.perform('freeze')}>${s.frozen ? 'Unfreeze' : 'Freeze'}</button>
        ${s.kiosk ? nothing : html`<button title="e" @click=${() => actions.perform('export')}>Export figure</button>`}
        ${s.kiosk ? nothing : html`<button class="shortcuts" title="?" aria-haspopup="dialog" @click=${() => actions.perform('help')}>Shortcuts (?)</button>`}
        ${s.kiosk ? nothing : html`<button title="Shift+a" aria-haspopup="dialog" @click=${() => actions.perform('about')}>About</button>`}
      </span>
    </header>`;
  }
}
customElements.define('app-header', AppHeader);
