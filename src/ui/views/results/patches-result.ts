import { html, nothing } from 'lit';
import { paint } from '../../canvas';
import { ResultView } from './result-view';

/** Why the pre-activation matters here: how many of the shown patches read exactly 6 after the clip. */
function saturated(patches: readonly { activation: number }[]): string {
  const tied = patches.filter((p) => p.activation >= 6).length;
  if (tied < 2) return '';
  return tied === patches.length ? ': after the clip all of them read 6.00' : `: after the clip ${tied} of them read 6.00`;
}

/** Top patches: the gallery patches that excite one channel most, as a grid. */
export class PatchesResult extends ResultView<'top-patches'> {
  static override styles = ResultView.baseStyles;

  override render() {
    const r = this.result;
    if (!r) return nothing;
    return html`<canvas class="main" role="img" aria-label="Gallery patches that excite channel ${r.channel} of ${r.layer} most"></canvas>
      <p>Each tile is the part of a gallery picture that channel ${r.channel} of ${r.layer} sees (its receptive field), strongest first.</p>
      ${r.rankedBy === 'pre-activation'
        ? html`<p data-testid="patch-ranking">Ranked by the value before the ReLU6 clip (printed under each tile)${saturated(r.patches)}.</p>`
        : nothing}`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas && this.result) paint(canvas, this.result.grid);
  }
}
customElements.define('patches-result', PatchesResult);
