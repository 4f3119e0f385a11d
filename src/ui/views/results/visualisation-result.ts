import { html, nothing } from 'lit';
import { stretchContrast } from '../../../core/render/image';
import { paint } from '../../canvas';
import { ResultView, firstName, pct } from './result-view';

/** Class visualisation: the generated image (shown contrast-stretched) and how sure the network is of it. */
export class VisualisationResult extends ResultView<'class-visualisation'> {
  static override styles = ResultView.baseStyles;

  override render() {
    const r = this.result;
    if (!r) return nothing;
    return html`<canvas class="main generated" role="img" aria-label="Generated image for ${r.label}"></canvas>
      <p>The network sees “${firstName(r.label)}” in this image with probability ${pct(r.probability)} (${r.steps} gradient steps).</p>`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    // The probability above is that of the unstretched result.
    if (canvas && this.result) paint(canvas, stretchContrast(this.result.image));
  }
}
customElements.define('visualisation-result', VisualisationResult);
