import { html, nothing } from 'lit';
import { paint } from '../../canvas';
import { ResultView, pct } from './result-view';

/** Universal perturbation: the pattern, and how often it changes the top class. */
export class UapResult extends ResultView<'uap'> {
  static override styles = ResultView.baseStyles;

  override render() {
    const r = this.result;
    if (!r) return nothing;
    return html`<canvas class="main uap" role="img" aria-label="The universal perturbation"></canvas>
      <p>Changes the top class of ${pct(r.foolingRate)} of ${r.images} training views (each gallery picture whole and centre-cropped) (${r.passes} ${r.passes === 1 ? 'pass' : 'passes'}). Tick “Apply the perturbation to the camera” to see it work live.</p>`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas && this.result) paint(canvas, this.result.picture);
  }
}
customElements.define('uap-result', UapResult);
