import { css, html, nothing } from 'lit';
import { paint } from '../../canvas';
import { ResultView, firstName, pct } from './result-view';

/** Fooling: the frame, the changed frame and their difference (×10), with the network's answer for each. */
export class FoolResult extends ResultView<'fool'> {
  static override styles = [ResultView.baseStyles, css`
    .row { display: flex; gap: .5rem; flex: 1; min-height: 0; }
    figure { margin: 0; flex: 1; min-width: 0; display: flex; flex-direction: column; gap: .25rem; }
    figure canvas { width: 100%; flex: 1; aspect-ratio: 1; }
    figcaption { text-align: center; font-variant-numeric: tabular-nums; }
  `];

  override render() {
    const r = this.result;
    if (!r) return nothing;
    const flip = this.context?.mirrored ? 'mirrored' : '';
    return html`<div class="row">
        <figure><canvas class="original ${flip}"></canvas><figcaption>${firstName(r.before.label)} ${pct(r.before.probability)}</figcaption></figure>
        <figure><canvas class="adversarial ${flip}"></canvas><figcaption>${firstName(r.after.label)} ${pct(r.after.probability)}</figcaption></figure>
        <figure><canvas class="difference ${flip}"></canvas><figcaption>difference ×10</figcaption></figure>
      </div>
      <p>${r.success ? `Fooled: now “${firstName(r.after.label)}”` : 'Not fooled within the budget'}, changing no pixel by more than ${Math.round(r.linf)} of 255.</p>`;
  }

  override updated(): void {
    const r = this.result;
    if (!r) return;
    const at = (selector: string): HTMLCanvasElement => this.renderRoot.querySelector<HTMLCanvasElement>(selector)!;
    paint(at('canvas.original'), r.original);
    paint(at('canvas.adversarial'), r.adversarial);
    paint(at('canvas.difference'), r.difference);
  }
}
customElements.define('fool-result', FoolResult);
