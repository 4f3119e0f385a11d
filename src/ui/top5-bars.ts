import { LitElement, css, html } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { Prediction } from '../core/classify';

/** Top-5 probability bars. (Bar widths go through styleMap, i.e. the CSSOM: the CSP forbids inline style attributes.) */
export class Top5Bars extends LitElement {
  static override properties = { predictions: { attribute: false } };
  static override styles = css`
    :host { display: block; }
    ol { list-style: none; margin: 0; padding: 0; }
    li { display: grid; grid-template-columns: 1fr 4.5em; gap: .5em; align-items: center; margin: .35em 0; font-size: 1.1rem; }
    .bar { grid-column: 1 / -1; height: .5em; border-radius: .25em; background: #333; overflow: hidden; }
    .bar > span { display: block; height: 100%; background: #f6a21a; }
    .p { text-align: right; font-variant-numeric: tabular-nums; }
  `;
  predictions: Prediction[] = [];

  override render() {
    return html`<ol aria-label="Top five predictions" aria-live="polite">
      ${this.predictions.map(
        (p) => html`<li data-index=${p.index}>
          <span class="label">${p.label.split(',')[0]}</span><span class="p">${(p.probability * 100).toFixed(1)} %</span>
          <span class="bar" aria-hidden="true"><span style=${styleMap({ width: `${(p.probability * 100).toFixed(1)}%` })}></span></span>
        </li>`,
      )}
    </ol>`;
  }
}
customElements.define('top5-bars', Top5Bars);
