import { css, html, nothing } from 'lit';
import { stretchContrast } from '../../../core/render/image';
import { paint } from '../../canvas';
import { ResultView } from './result-view';

/**
 * Feature inversion at each depth (Mahendran & Vedaldi 2015): the frame as the network saw it, then the image
 * rebuilt from each layer's features alone, shallow to deep, each with its layer, how far its features stayed from
 * the frame's and how much of the frame's pixels it kept. The live layer's reconstruction is marked.
 */
export class InvertRowResult extends ResultView<'invert-row'> {
  static override styles = [
    ResultView.baseStyles,
    css`
      .strip { display: grid; grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr)); gap: .4rem; overflow: auto; min-height: 0; }
      figure { margin: 0; display: flex; flex-direction: column; gap: .2rem; padding: .2rem; border-radius: .3rem; border: 2px solid transparent; }
      figure.chosen { border-color: #ffb000; }
      figure canvas { width: 100%; aspect-ratio: 1; }
      figcaption { font-size: .8rem; line-height: 1.2; font-variant-numeric: tabular-nums; }
      .layer { font-weight: bold; }
    `,
  ];

  override render() {
    const r = this.result;
    if (!r) return nothing;
    const flip = this.context?.mirrored ? 'mirrored' : '';
    const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    return html`<div class="strip" data-testid="inversion-row">
        <figure><canvas data-index="-1" class=${flip} role="img" aria-label="The frame as the network saw it"></canvas>
          <figcaption><span class="layer">the frame</span><br>as the network sees it</figcaption></figure>
        ${r.row.map(
          (s, i) => html`<figure class=${s.layer === r.chosen ? 'chosen' : ''} data-layer=${s.layer}>
            <canvas data-index=${i} class=${flip} role="img" aria-label=${`The frame rebuilt from the features of ${s.layer}`}></canvas>
            <figcaption title=${`The grey start image's features were off by ${Math.round(s.startDistance * 100)} %`}><span class="layer">${s.layer}</span>${s.layer === r.chosen ? html` <span data-testid="chosen-mark">(yours)</span>` : nothing}<br>
              <span data-testid="feature-distance">features off ${Math.round(s.distance * 100)} %</span><br>
              r = ${s.pixelCorrelation.toFixed(2)} · ${seconds(s.ms)}</figcaption>
          </figure>`,
        )}
      </div>
      <p>Each starts grey and takes ${r.row[0]?.steps ?? 0} gradient steps towards the frame's features at its layer
        (Mahendran &amp; Vedaldi 2015; shown contrast-stretched). Features off: ‖φ(x) − φ(frame)‖² / ‖φ(frame)‖²; r: how its
        pixels correlate with the frame's. ${seconds(r.ms)} in all.</p>`;
  }

  override updated(): void {
    const r = this.result;
    if (!r) return;
    for (const canvas of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-index]')) {
      const i = Number(canvas.dataset['index']);
      // Deep reconstructions stay near grey: shown contrast-stretched, as the paper's figures are.
      const image = i < 0 ? r.original : r.row[i] && stretchContrast(r.row[i].image);
      if (image) paint(canvas, image);
    }
  }
}
customElements.define('invert-row-result', InvertRowResult);
