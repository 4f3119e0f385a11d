import { html, nothing } from 'lit';
import { paint } from '../../canvas';
import { ResultView } from './result-view';

/** Top patches: the gallery patches that excite one channel most, as a grid. */
export class PatchesResult extends ResultView<'top-patches'> {
  static override styles = ResultView.baseStyles;

  override render() {
    const r = this.result;
    if (!r) return nothing;
    return html`<canvas class="main" role="img" aria-label="Gallery patches that excite channel ${r.channel} of ${r.layer} most"></canvas>
      <p>Each tile is the part of a gallery picture that channel ${r.channel} of ${r.layer} sees (its receptive field), strongest first.</p>`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas && this.result) paint(canvas, this.result.grid);
  }
}
customElements.define('patches-result', PatchesResult);
