import { css, html, nothing } from 'lit';
import type { PerturbedView } from '../../../core/live/settings';
import { DIFFERENCE_GAIN } from '../../../core/optimize/defaults';
import { paint } from '../../canvas';
import { ResultView, firstName, pct } from './result-view';

/**
 * Universal perturbation: how often it changes the top class on the training pictures and on held-out pictures it
 * never saw; the "apply to the camera" switch; while applied, the camera picture with the pattern added (exactly
 * the pixels the network classifies) beside the pattern magnified ×DIFFERENCE_GAIN, and the top class before → after.
 */
export class UapResult extends ResultView<'uap'> {
  static override styles = [ResultView.baseStyles, css`
    label.apply { display: flex; gap: .5rem; align-items: center; font-weight: bold; font-size: 1.05em; padding: .3rem .5rem; background: #2a2a2a; border-radius: .3rem; cursor: pointer; }
    label.apply input { width: 1.3em; height: 1.3em; accent-color: #f6a21a; }
    .figures { flex: 1; min-height: 0; display: grid; grid-template-columns: 1fr 1fr; gap: .5rem; }
    figure { margin: 0; min-height: 0; display: flex; flex-direction: column; gap: .2rem; }
    figure canvas { flex: 1; width: 100%; min-height: 0; }
    figcaption { font-size: .9em; color: #bbb; text-align: center; }
    .placeholder { flex: 1; display: grid; place-content: center; text-align: center; color: #999; background: #202020; border-radius: .25rem; padding: .5rem; }
    .change { font-size: 1.05em; }
    .change strong { color: #f6a21a; }
  `];

  override render() {
    const r = this.result;
    const c = this.context;
    if (!r) return nothing;
    const on = c?.perturb ?? false;
    const p = c?.perturbed;
    const made = r.precomputed ? 'shipped with the app, made beforehand' : `made now in ${(r.ms / 1000).toFixed(0)} s`;
    const held = Number.isNaN(r.heldOutRate) ? '' : html` and <strong>${pct(r.heldOutRate)}</strong> of ${r.heldOutImages} held-out pictures it never saw`;
    return html`<label class="apply"><input type="checkbox" .checked=${on} @change=${(e: Event) => c?.setPerturb?.((e.target as HTMLInputElement).checked)} /> Apply the perturbation to the camera</label>
      <p class="rates">Changes the top class of ${pct(r.foolingRate)} of ${r.images} training pictures${held} (ε = ${r.eps}/255;
        ${r.views > 0 ? `${r.steps} steps × ${Math.round(r.views / Math.max(1, r.steps))} cropped, flipped and rescaled views` : `${r.steps} passes`}; ${made}).</p>
      ${on && p
        ? html`<p class="change" data-testid="uap-change">Top class: ${firstName(p.before.label)} ${pct(p.before.probability)} →
            ${this.afterText(p)}</p>`
        : html`<p class="change">${on ? 'Waiting for the next camera frame…' : 'Tick the box to add this pattern to every camera frame.'}</p>`}
      <div class="figures">
        <figure>${on && p
          ? html`<canvas class="perturbed ${this.context?.liveMirrored ? 'mirrored' : ''}" role="img" aria-label="The camera picture with the perturbation added, as the network sees it"></canvas>`
          : html`<div class="placeholder">The camera picture with the pattern added appears here</div>`}
          <figcaption>Camera + perturbation (what the network sees)</figcaption></figure>
        <figure><canvas class="main uap" role="img" aria-label="The universal perturbation, magnified ${DIFFERENCE_GAIN} times"></canvas>
          <figcaption>The perturbation ×${DIFFERENCE_GAIN} (grey = 0)</figcaption></figure>
      </div>`;
  }

  private afterText(p: PerturbedView) {
    const now = p.after;
    return now.index === p.before.index
      ? html`still ${firstName(now.label)} ${pct(now.probability)}`
      : html`<strong>${firstName(now.label)} ${pct(now.probability)}</strong> (${firstName(p.before.label)} ${pct(p.beforeAfter)})`;
  }

  override updated(): void {
    const uap = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.uap');
    if (uap && this.result) paint(uap, this.result.picture);
    const perturbed = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.perturbed');
    if (perturbed && this.context?.perturbed) paint(perturbed, this.context.perturbed.picture);
  }
}
customElements.define('uap-result', UapResult);
