import { css, html, nothing } from 'lit';
import { colorize } from '../../../core/render/image';
import { paint } from '../../canvas';
import { ResultView } from './result-view';

/**
 * The sanity check (Adebayo et al. 2018): the trained network's map, then the map after each further layer is
 * randomised from the top, each with its Spearman ρ against the original. Maps that keep their look explain the
 * picture rather than the network.
 */
export class SanityResult extends ResultView<'sanity'> {
  static override styles = [
    ResultView.baseStyles,
    css`
      .strip { display: grid; grid-template-columns: repeat(auto-fill, minmax(6rem, 1fr)); gap: .5rem; overflow: auto; min-height: 0; }
      figure { margin: 0; display: flex; flex-direction: column; gap: .2rem; }
      figure canvas { width: 100%; aspect-ratio: 1; }
      figcaption { font-size: .85rem; line-height: 1.2; }
      .rho { font-variant-numeric: tabular-nums; font-weight: bold; }
    `,
  ];

  override render() {
    const r = this.result;
    if (!r) return nothing;
    const rho = (x: number): string => (Number.isNaN(x) ? '— (flat map)' : `ρ = ${x.toFixed(2)}`);
    return html`<div class="strip" data-testid="sanity-maps">
        <figure><canvas data-index="-1" class=${this.context?.mirrored ? 'mirrored' : ''} role="img" aria-label="The map of the trained network"></canvas>
          <figcaption>trained network<br><span class="rho">ρ = 1</span></figcaption></figure>
        ${r.steps.map((s, i) => html`<figure><canvas data-index=${i} class=${this.context?.mirrored ? 'mirrored' : ''} role="img" aria-label=${`The map with the layers down to ${s.layer} randomised`}></canvas>
          <figcaption>random down to ${s.layer}<br><span class="rho" data-testid="sanity-rho">${rho(s.spearman)}</span></figcaption></figure>`)}
      </div>
      <p>ρ: Spearman rank correlation with the trained network's map. A map that explains what the network learned falls
        towards 0 as its layers are randomised; one that stays high shows the picture's edges, not the network
        (Adebayo et al. 2018). Computed in ${(r.ms / 1000).toFixed(1)} s.</p>`;
  }

  override updated(): void {
    const r = this.result;
    const frozen = this.context?.frozen;
    if (!r) return;
    for (const canvas of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-index]')) {
      const i = Number(canvas.dataset['index']);
      const map = i < 0 ? r.original : r.steps[i]?.heatmap;
      if (!map) continue;
      canvas.width = 224;
      canvas.height = 224;
      const ctx = canvas.getContext('2d')!;
      if (frozen) ctx.drawImage(frozen, 0, 0, 224, 224);
      const layer = document.createElement('canvas');
      paint(layer, colorize(map, 'inferno', 0.8));
      ctx.drawImage(layer, 0, 0, 224, 224);
    }
  }
}
customElements.define('sanity-result', SanityResult);
