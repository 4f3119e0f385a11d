import { LitElement, css, html } from 'lit';
import type { Prediction } from '../../core/classify';

/**
 * Top-5 probability bars. Each bar is an SVG rect whose width attribute is the percentage: the CSP forbids inline
 * style attributes, and Lit's styleMap writes one on first render.
 */
export class Top5Bars extends LitElement {
  static override properties = { predictions: { attribute: false } };
  static override styles = css`
    :host { display: block; }
    ol { list-style: none; margin: 0; padding: 0; }
    li { display: grid; grid-template-columns: 1fr 4.5em; gap: .5em; align-items: center; margin: .35em 0; font-size: 1.1em; /* em: follows the lecture and kiosk type size */ }
    .bar { display: block; width: 100%; grid-column: 1 / -1; height: .5em; border-radius: .25em; background: #333; overflow: hidden; }
    .bar rect { fill: #f6a21a; }
    .p { text-align: right; font-variant-numeric: tabular-nums; }
  `;
  predictions: Prediction[] = [];

  override render() {
    return html`<ol aria-label="Top five predictions" aria-live="polite">
      ${this.predictions.map(
        (p) => html`<li data-index=${p.index}>
          <span class="label">${p.label.split(',')[0]}</span><span class="p">${(p.probability * 100).toFixed(1)} %</span>
          <svg class="bar" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true"><rect width=${(p.probability * 100).toFixed(1)} height="1"></rect></svg>
        </li>`,
      )}
    </ol>`;
  }
}
customElements.define('top5-bars', Top5Bars);
