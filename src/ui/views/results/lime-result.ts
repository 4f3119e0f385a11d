import { css, html, nothing } from 'lit';
import { LIME_DEFAULTS } from '../../../core/attribution/defaults';
import { LIME_AGAINST_COLOUR, LIME_FOR_COLOUR, type LimeExplanation, limeLayer, readLime, topEvidenceMap, topSuperpixels } from '../../../core/attribution/lime-summary';
import { backgroundCheck, biasVerdict } from '../../../core/bias';
import { paint } from '../../canvas';
import { ResultView, firstName } from './result-view';

/** Superpixels whose positive evidence the verdict weighs ("the top evidence"). */
const EVIDENCE_K = 3;

const rgb = (c: readonly number[]): string => `rgb(${c.join(',')})`;

/**
 * LIME of the frozen frame (Ribeiro et al. 2016), and the lecture's bias lesson "what does it really look at?": the
 * frame with its top superpixels outlined (green: for the class, pink: against) and the rest dimmed, their weights
 * listed, one plain line saying whether the top evidence lies in the middle of the picture (where a visitor holds
 * the object) or around it — measured as Teach mode's bias notice measures it (src/core/bias.ts) — and how well the
 * linear model predicts the network (held-out R²).
 */
export class LimeResult extends ResultView<'explain'> {
  static override styles = [
    ResultView.baseStyles,
    css`
      .row { display: flex; gap: .75rem; min-height: 0; flex: 1; }
      .row canvas { flex: 1; min-width: 0; }
      ol { margin: 0; padding-left: 1.2rem; font-variant-numeric: tabular-nums; align-self: center; }
      li { margin: .15rem 0; }
      .swatch { display: inline-block; width: .8em; height: .8em; border-radius: .15em; margin-right: .35em; vertical-align: -.05em; }
      .verdict { padding: .4rem .65rem; border-radius: .35rem; }
      .background { background: #3a2a00; border: 1px solid #f6a21a; }
      .object { background: #12301a; border: 1px solid #3c9a55; }
      .even { background: #1c1c1c; border: 1px solid #555; }
      .how { font-size: .85em; opacity: .85; }
    `,
  ];

  private lime(): LimeExplanation | undefined {
    return readLime(this.result?.extras);
  }

  override render() {
    const lime = this.lime();
    if (!this.result || !lime) return nothing;
    const cls = `“${firstName(this.result.target.label || 'the class')}”`;
    const top = topSuperpixels(lime, this.result.heatmap.width, LIME_DEFAULTS.topK);
    const check = backgroundCheck(topEvidenceMap(lime, EVIDENCE_K), this.result.heatmap.width, this.result.heatmap.height);
    const verdict = biasVerdict(check);
    const share = `${Math.round(check.objectShare * 100)} %`;
    const line =
      verdict === 'background'
        ? html`<strong>It relies on the background</strong>: only ${share} of the strongest evidence for ${cls} lies in the middle of the picture, where the object is held up; the rest is around it.`
        : verdict === 'object'
          ? html`<strong>It looks at the object</strong>: ${share} of the strongest evidence for ${cls} lies in the middle of the picture, where the object is held up.`
          : html`<strong>It looks everywhere</strong>: ${share} of the strongest evidence for ${cls} lies in the middle, about what evenly spread evidence would put there.`;
    const r2 = Number.isFinite(lime.r2) ? lime.r2.toFixed(2) : '—';
    const samples = this.result.extras?.['samples'];
    return html`<p class="verdict ${verdict}" role="status" data-testid="lime-verdict">${line}</p>
      <div class="row">
        <canvas class="main ${this.context?.mirrored ? 'mirrored' : ''}" role="img" aria-label="The frozen frame with the superpixels that matter most outlined: green for the class, pink against it"></canvas>
        <ol data-testid="lime-weights" aria-label="The superpixels that matter most and their weights">
          ${top.map((s) => html`<li><span class="swatch" style="background:${rgb(s.weight >= 0 ? LIME_FOR_COLOUR : LIME_AGAINST_COLOUR)}"></span>${s.weight >= 0 ? '+' : '−'}${Math.abs(s.weight).toFixed(2)} ${s.weight >= 0 ? 'for' : 'against'}</li>`)}
        </ol>
      </div>
      <p class="how">How: the frame was cut into ${lime.weights.length} superpixels; the network scored ${typeof samples === 'number' ? samples : 'many'} copies with random ones greyed out, and a linear model
        fitted to its scores gives each superpixel a weight (score units of the logit). It predicts the network on copies it was not fitted to with R² ${r2}
        (1 = exactly). ${(this.result.ms / 1000).toFixed(1)} s.</p>`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    const frozen = this.context?.frozen;
    const lime = this.lime();
    if (!canvas || !this.result || !frozen || !lime) return;
    const { width, height } = this.result.heatmap;
    // Drawn at twice the map's size so the outlines stay crisp.
    canvas.width = width * 2;
    canvas.height = height * 2;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(frozen, 0, 0, canvas.width, canvas.height);
    const layer = document.createElement('canvas');
    paint(layer, limeLayer(lime, width, height, LIME_DEFAULTS.topK));
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(layer, 0, 0, canvas.width, canvas.height);
  }
}
customElements.define('lime-result', LimeResult);
