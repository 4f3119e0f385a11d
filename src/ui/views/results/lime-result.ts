import { css, html, nothing, unsafeCSS } from 'lit';
import { LIME_DEFAULTS } from '../../../core/attribution/defaults';
import { LIME_AGAINST_COLOUR, LIME_FOR_COLOUR, type LimeExplanation, limeLayer, readLime, topEvidenceMap, topSuperpixels } from '../../../core/attribution/lime-summary';
import { backgroundCheck, surrogateBiasVerdict } from '../../../core/bias';
import { paint } from '../../canvas';
import { ResultView, firstName } from './result-view';

/** Superpixels whose positive evidence the verdict weighs ("the top evidence"). */
const EVIDENCE_K = 3;

const rgb = (c: readonly number[]): string => `rgb(${c.join(',')})`;

/** The mean position of each chosen superpixel's pixels (map pixels), where its rank is written. */
function centroids(labels: ArrayLike<number>, width: number, chosen: readonly number[]): Map<number, { x: number; y: number }> {
  const sums = new Map(chosen.map((l) => [l, { x: 0, y: 0, n: 0 }]));
  for (let p = 0; p < labels.length; p++) {
    const s = sums.get(labels[p]!);
    if (!s) continue;
    s.x += p % width;
    s.y += Math.floor(p / width);
    s.n++;
  }
  return new Map([...sums].map(([l, s]) => [l, { x: s.x / Math.max(1, s.n), y: s.y / Math.max(1, s.n) }]));
}

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
      .weights { align-self: center; max-width: 11rem; }
      .weights-title { margin: 0 0 .25rem; font-size: .85em; opacity: .85; }
      ol { margin: 0; padding-left: 1.2rem; font-variant-numeric: tabular-nums; }
      li { margin: .15rem 0; white-space: nowrap; }
      .swatch { display: inline-block; width: .8em; height: .8em; border-radius: .15em; margin-right: .35em; vertical-align: -.05em; }
      .for .swatch { background: rgb(${unsafeCSS(LIME_FOR_COLOUR.join(','))}); }
      .against .swatch { background: rgb(${unsafeCSS(LIME_AGAINST_COLOUR.join(','))}); }
      .verdict { padding: .4rem .65rem; border-radius: .35rem; }
      .background { background: #3a2a00; border: 1px solid #f6a21a; }
      .object { background: #12301a; border: 1px solid #3c9a55; }
      .even, .unsure { background: #1c1c1c; border: 1px solid #555; }
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
    const r2 = Number.isFinite(lime.r2) ? lime.r2.toFixed(2) : '—';
    const verdict = surrogateBiasVerdict(check, lime.r2, LIME_DEFAULTS.minR2ForVerdict);
    const share = `${Math.round(check.objectShare * 100)} %`;
    const line =
      verdict === 'unsure'
        ? html`<strong>Not sure</strong>: the linear model does not predict the network on this picture (R² ${r2} on copies it was not fitted to; below ${LIME_DEFAULTS.minR2ForVerdict}), so its weights say little about where the network looks. Try a picture with one clear object.`
        : verdict === 'background'
          ? html`<strong>It relies on the background</strong>: only ${share} of the strongest evidence for ${cls} lies in the middle of the picture, where the object is held up; the rest is around it.`
          : verdict === 'object'
            ? html`<strong>It looks at the object</strong>: ${share} of the strongest evidence for ${cls} lies in the middle of the picture, where the object is held up.`
            : html`<strong>It looks everywhere</strong>: ${share} of the strongest evidence for ${cls} lies in the middle, about what evenly spread evidence would put there.`;
    const samples = this.result.extras?.['samples'];
    return html`<p class="verdict ${verdict}" role="status" data-testid="lime-verdict">${line}</p>
      <div class="row">
        <canvas class="main ${this.context?.mirrored ? 'mirrored' : ''}" role="img" aria-label="The frozen frame with the superpixels that matter most outlined: green for the class, pink against it"></canvas>
        <div class="weights">
          <p class="weights-title" id="lime-weights-title">Weight of each numbered superpixel for ${cls}</p>
          <ol data-testid="lime-weights" aria-labelledby="lime-weights-title">
            ${top.map((s) => html`<li class=${s.weight >= 0 ? 'for' : 'against'}><span class="swatch"></span>${s.weight >= 0 ? '+' : '−'}${Math.abs(s.weight).toFixed(2)}${s.weight >= 0 ? '' : ' (against)'}</li>`)}
          </ol>
        </div>
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
    // Each top superpixel's rank (the list's number) at its centre; unmirrored text on a mirrored canvas is
    // written mirrored so that it reads right.
    const top = topSuperpixels(lime, width, LIME_DEFAULTS.topK);
    const centres = centroids(lime.labels, width, top.map((s) => s.index));
    ctx.font = 'bold 22px sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    top.forEach((s, i) => {
      const c = centres.get(s.index)!;
      ctx.save();
      ctx.translate(c.x * 2, c.y * 2);
      if (this.context?.mirrored) ctx.scale(-1, 1);
      ctx.lineWidth = 4;
      ctx.strokeStyle = 'rgba(0,0,0,0.85)';
      ctx.strokeText(String(i + 1), 0, 0);
      ctx.fillStyle = rgb(s.weight >= 0 ? LIME_FOR_COLOUR : LIME_AGAINST_COLOUR);
      ctx.fillText(String(i + 1), 0, 0);
      ctx.restore();
    });
  }
}
customElements.define('lime-result', LimeResult);
