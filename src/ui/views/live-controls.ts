import { css, html, nothing } from 'lit';
import { searchLabels } from '../../core/labels';
import { SALIENCY_KINDS, type SaliencyKind } from '../../core/live/settings';
import type { AppState } from '../app-state';
import { controlStyles } from '../control-styles';
import { gridLayers } from '../live-status';
import { AppView } from './app-view';

const METHOD_NAMES: Record<SaliencyKind, { expert: string; visitor: string }> = {
  vanilla: { expert: 'Gradient', visitor: 'Plain' },
  guided: { expert: 'Guided backprop', visitor: 'Sharper' },
  smoothgrad: { expert: 'SmoothGrad', visitor: 'Smoother' },
};

/**
 * The live view's own controls: the layer and enlarged channel (activations), the saliency method, and the class
 * the maps explain — one of the classes the network sees now, by touch (a search field over the model's own labels
 * too, outside kiosk mode).
 */
export class LiveControls extends AppView {
  protected readonly watch = ['settings', 'layers', 'labels', 'channel', 'frame', 'kiosk'] as const;
  static override properties = { query: { state: true } };
  static override styles = [controlStyles, css`
    :host { display: flex; flex-direction: column; gap: .75rem; }
    :host([hidden]) { display: none; }
    h2, .label { font-size: .95em; margin: 0 0 .4rem; color: #bbb; font-weight: normal; }
    label { display: flex; flex-direction: column; gap: .25rem; }
    select, input { width: 100%; box-sizing: border-box; }
    .choices { display: flex; flex-wrap: wrap; gap: .3rem; }
    button[aria-pressed='true'] { background: #6cf; color: #000; border-color: #6cf; }
    .row { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
  `];
  query = '';

  override render() {
    const s = this.state;
    if (!s) return nothing;
    const view = s.settings.view;
    return html`${view === 'activations' ? this.layerControls(s) : nothing}
      ${view === 'saliency' ? this.methodControls(s) : nothing}
      ${view === 'saliency' || view === 'gradcam' || view === 'occlusion' ? this.classControls(s) : nothing}`;
  }

  private layerControls(s: Readonly<AppState>) {
    const actions = this.actions!;
    const layers = gridLayers(s.layers);
    return html`<section>
      <label><span class="label">${s.kiosk ? 'How deep into the network' : 'Layer'}</span>
        <select @change=${(e: Event) => actions.setLayer((e.target as HTMLSelectElement).value)}>
          ${layers.map(
            (l, i) => html`<option value=${l.name} ?selected=${l.name === s.settings.layer}>${s.kiosk ? `Layer ${i + 1} of ${layers.length} (${l.outputShape[2]} detectors)` : `${l.name} (${l.outputShape.join('×')})`}</option>`,
          )}
        </select>
      </label>
      ${s.channel >= 0
        ? html`<div class="row"><span>Channel ${s.channel} is over the picture.</span><button @click=${() => actions.setChannel(-1)}>Show no channel</button></div>`
        : nothing}
    </section>`;
  }

  private methodControls(s: Readonly<AppState>) {
    const actions = this.actions!;
    return html`<section role="group" aria-labelledby="method">
      <h2 id="method">${s.kiosk ? 'How to measure which pixels matter' : 'Saliency method'}</h2>
      <div class="choices">${SALIENCY_KINDS.map(
        (k) => html`<button aria-pressed=${k === s.settings.saliency} @click=${() => actions.setSaliency(k)}>${METHOD_NAMES[k][s.kiosk ? 'visitor' : 'expert']}</button>`,
      )}</div>
    </section>`;
  }

  private classControls(s: Readonly<AppState>) {
    const actions = this.actions!;
    const target = s.settings.target;
    const seen = (s.frame?.top5 ?? []).map((p) => ({ index: p.index, label: p.label }));
    // The model in use names the classes (ImageNet's, or an own model's labels).
    if (target !== 'top' && !seen.some((p) => p.index === target)) seen.push({ index: target, label: s.labels[target] ?? `class ${target}` });
    const matches = !s.kiosk && this.query.length >= 2 ? searchLabels(s.labels, this.query, 8) : [];
    const choose = (index: number | 'top'): void => {
      actions.setTarget(index);
      this.query = '';
    };
    return html`<section role="group" aria-labelledby="explain">
      <h2 id="explain">${s.kiosk ? 'Which answer to explain' : 'Explain class'}</h2>
      <div class="choices">
        <button aria-pressed=${target === 'top'} @click=${() => choose('top')}>The top class</button>
        ${seen.map((p) => html`<button aria-pressed=${target === p.index} @click=${() => choose(p.index)}>${p.label.split(',')[0]}</button>`)}
      </div>
      ${s.kiosk
        ? nothing
        : html`<label><span class="label">Another class</span>
            <input type="search" placeholder="type to find a class" .value=${this.query} @input=${(e: Event) => (this.query = (e.target as HTMLInputElement).value)} /></label>
          <div class="choices">${matches.map((m) => html`<button @click=${() => choose(m.index)}>${m.label.split(',')[0]}</button>`)}</div>`}
    </section>`;
  }
}
customElements.define('live-controls', LiveControls);
